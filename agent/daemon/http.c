// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmmerge developers.
 *
 * GET /metrics on libmicrohttpd, in its own thread.  Each scrape opens its
 * own netlink socket and reads the module afresh; the agent's counters are
 * copied under the agent's lock.  The listening socket is made here so
 * that a busy port is reported with its real errno.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>

#include "agent.h"
#include "log.h"

struct http {
	struct MHD_Daemon *mhd;
	struct agent *a;
};

/* A hint per stack that has one; stacks not sampled yet are left out. */
static void take_hints(struct vnl *v, struct metrics_snapshot *s)
{
	size_t i;

	s->hints = calloc(s->nr_groups ? s->nr_groups : 1, sizeof(*s->hints));
	if (!s->hints)
		return;
	for (i = 0; i < s->nr_groups; i++)
		if (!vnl_get_hint(v, s->groups[i].name, NULL, NULL,
				  &s->hints[s->nr_hints]))
			s->nr_hints++;
}

static void take_snapshot(struct agent *a, struct metrics_snapshot *s)
{
	struct vnl *v;

	memset(s, 0, sizeof(*s));
	s->page_size = sysconf(_SC_PAGESIZE);
	pthread_mutex_lock(&a->lock);
	s->health = a->health;
	s->ksm = a->ksm;
	pthread_mutex_unlock(&a->lock);
	if (vnl_open(&v))
		return;
	s->module_up = !vnl_get_host(v, &s->host) &&
		!vnl_dump_domains(v, &s->domains, &s->nr_domains) &&
		!vnl_dump_groups(v, &s->groups, &s->nr_groups) &&
		!vnl_dump_vms(v, &s->vms, &s->nr_vms);
	if (s->module_up)
		take_hints(v, s);
	vnl_close(v);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     const char *type, char *body, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, body,
						MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result serve_metrics(struct agent *a, struct MHD_Connection *c)
{
	struct metrics_snapshot s;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	take_snapshot(a, &s);
	f = open_memstream(&text, &len);
	if (f) {
		metrics_format(f, &s);
		fclose(f);
	}
	free(s.domains);
	free(s.groups);
	free(s.vms);
	free(s.hints);
	if (!text)
		return MHD_NO;
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		     text, len);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_len, void **state)
{
	struct http *h = cls;

	(void)version;
	(void)data;
	(void)data_len;
	if (!*state) {		/* headers only so far */
		*state = h;
		return MHD_YES;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     strdup("method not allowed\n"), 19);
	if (!strcmp(url, "/metrics"))
		return serve_metrics(h->a, c);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/plain",
			     strdup("vmmerged: see /metrics\n"), 23);
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", strdup("not found\n"),
		     10);
}

static int listen_on(const char *host, unsigned int port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	char service[8];
	int fd, one = 1, err;

	snprintf(service, sizeof(service), "%u", port);
	err = getaddrinfo(host, service, &hints, &ai);
	if (err)
		return err == EAI_SYSTEM ? -errno : -EADDRNOTAVAIL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16)) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return err;
	}
	freeaddrinfo(ai);
	return fd;
}

int http_start(struct agent *a, struct http **out)
{
	struct http *h = calloc(1, sizeof(*h));
	int fd;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	fd = listen_on(a->cfg.listen_host, a->cfg.listen_port);
	if (fd < 0) {
		free(h);
		return fd;
	}
	h->a = a;
	h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
				  MHD_USE_ERROR_LOG, 0, NULL, NULL,
				  on_request, h,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				  MHD_OPTION_END);
	if (!h->mhd) {
		close(fd);
		free(h);
		return -EIO;
	}
	*out = h;
	return 0;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	free(h);
}
