/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Plain-text tables with aligned columns; a header starting with '>' is
 * right-aligned.
 */
#ifndef VMMERGE_TABLE_H
#define VMMERGE_TABLE_H

#include <stdio.h>

struct table;

struct table *table_new(int ncols, const char *const *headers);
/* Exactly ncols strings. */
void table_row(struct table *t, ...);
void table_print(struct table *t, FILE *f);
void table_free(struct table *t);

#endif
