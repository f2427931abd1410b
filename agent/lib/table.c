// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Plain-text tables whose columns line up.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

struct table {
	int ncols;
	size_t nrows, alloc;
	char **cells;		/* nrows * ncols, row 0 = headers */
	size_t *width;
	bool *right;
};

static void add_cells(struct table *t, const char *const *cells)
{
	int i;

	if (t->nrows == t->alloc) {
		size_t n = t->alloc ? t->alloc * 2 : 16;
		char **p = realloc(t->cells, n * t->ncols * sizeof(*p));

		if (!p)
			return;
		t->cells = p;
		t->alloc = n;
	}
	for (i = 0; i < t->ncols; i++) {
		char *c = strdup(cells[i] ? cells[i] : "");

		t->cells[t->nrows * t->ncols + i] = c;
		if (c && strlen(c) > t->width[i])
			t->width[i] = strlen(c);
	}
	t->nrows++;
}

struct table *table_new(int ncols, const char *const *headers)
{
	struct table *t = calloc(1, sizeof(*t));
	const char *h[16];
	int i;

	if (!t || ncols > 16)
		goto err;
	t->ncols = ncols;
	t->width = calloc(ncols, sizeof(*t->width));
	t->right = calloc(ncols, sizeof(*t->right));
	if (!t->width || !t->right)
		goto err;
	for (i = 0; i < ncols; i++) {
		t->right[i] = headers[i][0] == '>';
		h[i] = headers[i] + t->right[i];
	}
	add_cells(t, h);
	return t;
err:
	table_free(t);
	return NULL;
}

/* Exactly ncols strings. */
void table_row(struct table *t, ...)
{
	const char *cells[16];
	va_list ap;
	int i;

	if (!t)
		return;
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++)
		cells[i] = va_arg(ap, const char *);
	va_end(ap);
	add_cells(t, cells);
}

void table_print(struct table *t, FILE *f)
{
	size_t r;
	int i;

	for (r = 0; t && r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			const char *c = t->cells[r * t->ncols + i];
			int w = (int)t->width[i];
			bool last = i == t->ncols - 1;

			if (!c)
				c = "";
			if (t->right[i])
				fprintf(f, "%*s", w, c);
			else
				fprintf(f, "%-*s", last ? 0 : w, c);
			fputs(last ? "\n" : "  ", f);
		}
	}
}

void table_free(struct table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; t->cells && i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t->right);
	free(t);
}
