// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * Parsing vmmerged.conf with inih.  inih reads through our line reader, so
 * the handler always knows the line it is looking at; the first error wins.
 *
 * Only ini_parse_stream() is used: upstream inih has no run-time options
 * (Debian's adds ini_allow_inline_comments, ini_stop_on_first_error, ...),
 * and how a given libinih was compiled is not known here.  So nothing
 * depends on it: a value is taken from the line as read, to its end, even
 * where a build with inline comments (upstream's default) cut it at " ;";
 * and of a syntax error inih reports and an error of ours, the earlier
 * line wins, whether or not inih stopped at the first.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>

#include "config.h"

/*
 * The longest value taken whole from the line; inih's own line buffer is
 * INI_MAX_LINE (200 by default), so this is room to spare.
 */
#define INI_LINE_MAX 4096

struct parser {
	struct config *c;
	const char *name;
	const char *pos;	/* rest of the text */
	int line;
	const char *raw;	/* the line last read, in the text */
	size_t raw_len;		/* without its newline */
	char *buf;		/* where the reader copied it for inih */
	size_t buf_len;
	char value[INI_LINE_MAX];
	char *err;
	size_t errlen;
	int failed;
	int failed_line;
};

static const char *const match_keys[CFG_MATCH_NR] = {
	[CFG_MATCH_EXE] = "exe",
	[CFG_MATCH_CMDLINE] = "cmdline",
	[CFG_MATCH_CGROUP] = "cgroup",
	[CFG_MATCH_ENV] = "env",
};

static int fail(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return 0;
	p->failed = 1;
	p->failed_line = line;
	n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return 0;
}

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	c->listen_port = 9873;
	snprintf(c->vmm[0], sizeof(c->vmm[0]), "qemu-system-*");
	snprintf(c->vmm[1], sizeof(c->vmm[1]), "firecracker");
	snprintf(c->vmm[2], sizeof(c->vmm[2]), "cloud-hypervisor");
	c->nr_vmm = 3;
	c->sources = CFG_SRC_ALL;
	snprintf(c->default_stack, sizeof(c->default_stack), "unclassified");
	snprintf(c->default_domain, sizeof(c->default_domain), "default");
	c->rescan_interval = 10;
	c->min_guest_mib = 16;
	c->ksm.pages_min = 100;
	c->ksm.pages_max = 4000;
	c->ksm.sleep_ms_min = 10;
	c->ksm.sleep_ms_max = 200;
	c->ksm.idle_after = 60;
}

/* A domain or group name as the module accepts it: printable, 1..31. */
static bool valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n >= VMMERGE_NAME_MAXLEN)
		return false;
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]))
			return false;
	return true;
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1") ||
	    !strcmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0") ||
		 !strcmp(s, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* "HOST:PORT"; HOST may be [v6]. */
static int parse_listen(struct config *c, const char *s)
{
	const char *colon = strrchr(s, ':');
	uint64_t port;
	size_t n;

	if (!colon || parse_uint(colon + 1, 65535, &port) || !port)
		return -EINVAL;
	n = colon - s;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (!n || n >= sizeof(c->listen_host))
		return -EINVAL;
	memcpy(c->listen_host, s, n);
	c->listen_host[n] = '\0';
	c->listen_port = port;
	return 0;
}

/* A blank- or comma-separated list of patterns. */
static int parse_vmm(struct config *c, const char *s)
{
	char buf[512], *tok, *save;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	c->nr_vmm = 0;
	for (tok = strtok_r(buf, " ,\t", &save); tok;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		if (c->nr_vmm == CFG_MAX_VMM || strlen(tok) >= sizeof(c->vmm[0]))
			return -EINVAL;
		strcpy(c->vmm[c->nr_vmm++], tok);
	}
	return c->nr_vmm ? 0 : -EINVAL;
}

/* "proc", "bpf" or both, blank- or comma-separated. */
static int parse_sources(struct config *c, const char *s)
{
	char buf[128], *tok, *save;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	c->sources = 0;
	for (tok = strtok_r(buf, " ,\t", &save); tok;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		if (!strcmp(tok, "proc"))
			c->sources |= CFG_SRC_PROC;
		else if (!strcmp(tok, "bpf"))
			c->sources |= CFG_SRC_BPF;
		else
			return -EINVAL;
	}
	return c->sources ? 0 : -EINVAL;
}

static int set_name(struct parser *p, char *dst, const char *key,
		    const char *value)
{
	if (!valid_name(value))
		return fail(p, p->line, "%s: invalid name '%s' (1 to 31 "
			    "printable characters, no blanks)", key, value);
	strcpy(dst, value);
	return 1;
}

static int agent_key(struct parser *p, const char *key, const char *value)
{
	struct config *c = p->c;
	uint64_t n;

	if (!strcmp(key, "listen"))
		return parse_listen(c, value) ?
			fail(p, p->line, "listen: expected HOST:PORT, got '%s'",
			     value) : 1;
	if (!strcmp(key, "vmm"))
		return parse_vmm(c, value) ?
			fail(p, p->line, "vmm: expected 1 to %d names",
			     CFG_MAX_VMM) : 1;
	if (!strcmp(key, "sources"))
		return parse_sources(c, value) ?
			fail(p, p->line, "sources: expected proc, bpf or both, "
			     "got '%s'", value) : 1;
	if (!strcmp(key, "default_stack"))
		return set_name(p, c->default_stack, key, value);
	if (!strcmp(key, "default_domain"))
		return set_name(p, c->default_domain, key, value);
	if (!strcmp(key, "rescan_interval")) {
		if (parse_uint(value, 3600, &n) || !n)
			return fail(p, p->line, "rescan_interval: expected 1 "
				    "to 3600 seconds, got '%s'", value);
		c->rescan_interval = n;
		return 1;
	}
	if (!strcmp(key, "min_guest_mib")) {
		if (parse_uint(value, 1 << 24, &c->min_guest_mib))
			return fail(p, p->line, "min_guest_mib: expected a "
				    "number of MiB, got '%s'", value);
		return 1;
	}
	return fail(p, p->line, "unknown key '%s' in [agent]", key);
}

static int ksm_uint(struct parser *p, const char *key, const char *value,
		    unsigned int *out)
{
	uint64_t n;

	if (parse_uint(value, 1000000, &n) || !n)
		return fail(p, p->line, "%s: expected 1 to 1000000, got '%s'",
			    key, value);
	*out = n;
	return 1;
}

static int ksm_key(struct parser *p, const char *key, const char *value)
{
	struct cfg_ksm *k = &p->c->ksm;

	if (!strcmp(key, "tune"))
		return parse_bool(value, &k->tune) ?
			fail(p, p->line, "tune: expected yes or no, got '%s'",
			     value) : 1;
	if (!strcmp(key, "pages_to_scan_min"))
		return ksm_uint(p, key, value, &k->pages_min);
	if (!strcmp(key, "pages_to_scan_max"))
		return ksm_uint(p, key, value, &k->pages_max);
	if (!strcmp(key, "sleep_ms_min"))
		return ksm_uint(p, key, value, &k->sleep_ms_min);
	if (!strcmp(key, "sleep_ms_max"))
		return ksm_uint(p, key, value, &k->sleep_ms_max);
	if (!strcmp(key, "stop_when_idle"))
		return parse_bool(value, &k->stop_when_idle) ?
			fail(p, p->line, "stop_when_idle: expected yes or no, "
			     "got '%s'", value) : 1;
	if (!strcmp(key, "idle_after")) {
		uint64_t n;

		if (parse_uint(value, 86400, &n) || !n)
			return fail(p, p->line, "idle_after: expected 1 to 86400 "
				    "seconds, got '%s'", value);
		k->idle_after = n;
		return 1;
	}
	if (!strcmp(key, "merge_within")) {
		uint64_t n;

		if (parse_uint(value, 3600, &n))
			return fail(p, p->line, "merge_within: expected 0 to 3600 "
				    "seconds, got '%s'", value);
		k->merge_within = n;
		return 1;
	}
	return fail(p, p->line, "unknown key '%s' in [ksm]", key);
}

static struct cfg_domain *get_domain(struct parser *p, const char *name)
{
	struct config *c = p->c;
	struct cfg_domain *d;
	size_t i;

	for (i = 0; i < c->nr_domains; i++)
		if (!strcmp(c->domains[i].name, name))
			return &c->domains[i];
	if (!valid_name(name)) {
		fail(p, p->line, "invalid domain name '%s'", name);
		return NULL;
	}
	d = realloc(c->domains, (c->nr_domains + 1) * sizeof(*d));
	if (!d) {
		fail(p, p->line, "out of memory");
		return NULL;
	}
	c->domains = d;
	d = &c->domains[c->nr_domains++];
	memset(d, 0, sizeof(*d));
	strcpy(d->name, name);
	return d;
}

static int domain_key(struct parser *p, const char *name, const char *key,
		      const char *value)
{
	struct cfg_domain *d = get_domain(p, name);

	if (!d)
		return 0;
	if (strcmp(key, "isolated"))
		return fail(p, p->line, "unknown key '%s' in [domain %s]", key,
			    name);
	if (parse_bool(value, &d->isolated))
		return fail(p, p->line, "isolated: expected yes or no, got '%s'",
			    value);
	return 1;
}

/* The rule of section [rule NAME]; a new one when the section changes. */
static struct cfg_rule *get_rule(struct parser *p, const char *name)
{
	struct config *c = p->c;
	struct cfg_rule *r;

	if (c->nr_rules && !strcmp(c->rules[c->nr_rules - 1].name, name))
		return &c->rules[c->nr_rules - 1];
	if (!*name || strlen(name) >= sizeof(r->name)) {
		fail(p, p->line, "invalid rule name '%s'", name);
		return NULL;
	}
	r = realloc(c->rules, (c->nr_rules + 1) * sizeof(*r));
	if (!r) {
		fail(p, p->line, "out of memory");
		return NULL;
	}
	c->rules = r;
	r = &c->rules[c->nr_rules++];
	memset(r, 0, sizeof(*r));
	strcpy(r->name, name);
	r->line = p->line;
	return r;
}

static int rule_regex(struct parser *p, struct cfg_rule *r, int m,
		      const char *value)
{
	char msg[128];
	int err;

	if (r->has[m])
		return fail(p, p->line, "%s given twice in [rule %s]",
			    match_keys[m], r->name);
	err = regcomp(&r->re[m], value, REG_EXTENDED | REG_NOSUB);
	if (err) {
		regerror(err, &r->re[m], msg, sizeof(msg));
		return fail(p, p->line, "%s: bad regular expression '%s': %s",
			    match_keys[m], value, msg);
	}
	r->has[m] = true;
	return 1;
}

static int rule_key(struct parser *p, const char *name, const char *key,
		    const char *value)
{
	struct cfg_rule *r = get_rule(p, name);
	int m;

	if (!r)
		return 0;
	for (m = 0; m < CFG_MATCH_NR; m++)
		if (!strcmp(key, match_keys[m]))
			return rule_regex(p, r, m, value);
	if (!strcmp(key, "stack")) {
		r->stack_line = p->line;
		return set_name(p, r->stack, key, value);
	}
	if (!strcmp(key, "domain")) {
		r->domain_line = p->line;
		return set_name(p, r->domain, key, value);
	}
	if (!strcmp(key, "mem_mib")) {
		if (parse_uint(value, 1 << 24, &r->mem_mib) || !r->mem_mib)
			return fail(p, p->line, "mem_mib: expected a number "
				    "of MiB, got '%s'", value);
		return 1;
	}
	return fail(p, p->line, "unknown key '%s' in [rule %s]", key, name);
}

/*
 * @value as the line has it: from where inih found it in the reader's copy
 * of the line to the end of the line, blanks stripped.  The same as inih's
 * own when it was built without inline comments; whole where one with
 * them took " ;..." for a comment.
 */
static const char *whole_value(struct parser *p, const char *value)
{
	size_t off, n;

	if (!p->buf || value < p->buf || value >= p->buf + p->buf_len)
		return value;
	off = value - p->buf;
	if (off > p->raw_len || p->raw_len - off >= sizeof(p->value))
		return value;
	n = p->raw_len - off;
	while (n && isspace((unsigned char)p->raw[off + n - 1]))
		n--;
	memcpy(p->value, p->raw + off, n);
	p->value[n] = '\0';
	return p->value;
}

static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	struct parser *p = user;

	if (p->failed)
		return 0;
	value = whole_value(p, value);
	if (!strcmp(section, "agent"))
		return agent_key(p, key, value);
	if (!strcmp(section, "ksm"))
		return ksm_key(p, key, value);
	if (!strncmp(section, "domain ", 7))
		return domain_key(p, section + 7, key, value);
	if (!strncmp(section, "rule ", 5))
		return rule_key(p, section + 5, key, value);
	if (!*section)
		return fail(p, p->line, "'%s' outside of any section", key);
	return fail(p, p->line, "unknown section [%s]", section);
}

/*
 * inih's line reader: hands out one line at a time and counts them.  A
 * line too long for inih's buffer is an error; what fits of it is handed
 * out with a newline, so that no inih version reads on into the next
 * line to find the end of this one.
 */
static char *reader(char *buf, int size, void *stream)
{
	struct parser *p = stream;
	const char *nl;
	size_t n;

	if (!*p->pos || size < 3)
		return NULL;
	nl = strchr(p->pos, '\n');
	n = nl ? (size_t)(nl - p->pos) + 1 : strlen(p->pos);
	p->line++;
	p->raw = p->pos;
	p->raw_len = nl ? n - 1 : n;
	p->buf = buf;
	p->buf_len = size;
	if (n >= (size_t)size) {
		fail(p, p->line, "line longer than %d characters", size - 2);
		n = size - 1;
		p->raw_len = n - 1;
		memcpy(buf, p->pos, n - 1);
		buf[n - 1] = '\n';
	} else {
		memcpy(buf, p->pos, n);
	}
	buf[n] = '\0';
	p->pos = nl ? nl + 1 : p->pos + strlen(p->pos);
	return buf;
}

static const char *rule_domain(const struct config *c,
			       const struct cfg_rule *r)
{
	return r->domain[0] ? r->domain : c->default_domain;
}

/*
 * The module keeps a stack (group) in one domain: a second domain for the
 * same stack would silently put its VMs in the first one's group.
 */
static int check_stack_domains(struct parser *p)
{
	struct config *c = p->c;
	size_t i, j;

	for (i = 0; i < c->nr_rules; i++) {
		const struct cfg_rule *r = &c->rules[i];
		const char *d = rule_domain(c, r);

		if (!strcmp(r->stack, c->default_stack) &&
		    strcmp(d, c->default_domain))
			return fail(p, r->domain_line ? r->domain_line :
				    r->stack_line, "[rule %s] puts stack %s in "
				    "domain %s, but it is the default stack, in "
				    "domain %s: a stack belongs to one domain",
				    r->name, r->stack, d, c->default_domain);
		for (j = 0; j < i; j++) {
			const struct cfg_rule *q = &c->rules[j];

			if (strcmp(q->stack, r->stack) ||
			    !strcmp(rule_domain(c, q), d))
				continue;
			return fail(p, r->domain_line ? r->domain_line :
				    r->stack_line, "[rule %s] puts stack %s in "
				    "domain %s, but [rule %s] (line %d) puts it "
				    "in domain %s: a stack belongs to one domain",
				    r->name, r->stack, d, q->name, q->stack_line,
				    rule_domain(c, q));
		}
	}
	return 1;
}

/* Whole-file checks once every line is read. */
static int check(struct parser *p)
{
	struct config *c = p->c;
	size_t i;

	for (i = 0; i < c->nr_rules; i++) {
		struct cfg_rule *r = &c->rules[i];
		int m, any = 0;

		for (m = 0; m < CFG_MATCH_NR; m++)
			any |= r->has[m];
		if (!r->stack[0])
			return fail(p, r->line, "[rule %s] has no stack",
				    r->name);
		if (!any)
			return fail(p, r->line, "[rule %s] matches nothing: "
				    "give exe, cmdline, cgroup or env", r->name);
	}
	if (c->ksm.pages_min > c->ksm.pages_max ||
	    c->ksm.sleep_ms_min > c->ksm.sleep_ms_max)
		return fail(p, p->line, "[ksm] a minimum exceeds its maximum");
	return check_stack_domains(p);
}

int config_parse_string(const char *text, const char *name,
			struct config *c, char *err, size_t errlen)
{
	struct parser p = { .c = c, .name = name, .pos = text, .err = err,
			    .errlen = errlen };
	int ret;

	config_defaults(c);
	err[0] = '\0';
	ret = ini_parse_stream(reader, &p, handler, &p);
	/* A line inih could not parse, before any error of ours. */
	if (ret > 0 && (!p.failed || ret < p.failed_line)) {
		p.failed = 0;
		fail(&p, ret, "syntax error (expected [section] or key = value)");
	}
	if (ret < 0 && !p.failed)
		fail(&p, p.line, "out of memory");
	if (!p.failed)
		check(&p);
	if (p.failed) {
		config_free(c);
		return -EINVAL;
	}
	return 0;
}

/* The whole of @f in a malloc'd string. */
static char *read_all(FILE *f)
{
	char buf[4096], *text = NULL;
	size_t len = 0, n;
	FILE *m = open_memstream(&text, &len);

	if (!m)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, m);
	fclose(m);
	return text;
}

int config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *text;
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	text = read_all(f);
	fclose(f);
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	ret = config_parse_string(text, path, c, err, errlen);
	free(text);
	return ret;
}

void config_free(struct config *c)
{
	size_t i;
	int m;

	for (i = 0; i < c->nr_rules; i++)
		for (m = 0; m < CFG_MATCH_NR; m++)
			if (c->rules[i].has[m])
				regfree(&c->rules[i].re[m]);
	free(c->rules);
	free(c->domains);
	c->rules = NULL;
	c->domains = NULL;
	c->nr_rules = c->nr_domains = 0;
}

const struct cfg_domain *config_domain(const struct config *c,
				       const char *name)
{
	size_t i;

	for (i = 0; i < c->nr_domains; i++)
		if (!strcmp(c->domains[i].name, name))
			return &c->domains[i];
	return NULL;
}

bool config_next_warning(const struct config *c, const char *name,
			 size_t *pos, char *buf, size_t len)
{
	size_t i, j;

	for (i = *pos; i < c->nr_rules; i++) {
		const struct cfg_rule *r = &c->rules[i];
		bool seen = false;

		if (!r->domain[0] || config_domain(c, r->domain) ||
		    !strcmp(r->domain, c->default_domain))
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = !strcmp(c->rules[j].domain, r->domain);
		if (seen)
			continue;	/* one warning per domain name */
		snprintf(buf, len, "%s:%d: [rule %s] domain '%s' has no "
			 "[domain %s] section: it is created shared (not "
			 "isolated); declare it if that is not what you meant",
			 name, r->domain_line, r->name, r->domain, r->domain);
		*pos = i + 1;
		return true;
	}
	*pos = c->nr_rules;
	return false;
}
