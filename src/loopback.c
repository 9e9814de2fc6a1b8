/* loopback.c - the one-shot redirect listener on 127.0.0.1.
 *
 * Every socket is non-blocking and driven by loop callbacks.  A connection
 * reads its request head into a fixed buffer, gets one response and is
 * closed; a response that ends the flow first closes the listener and the
 * other connections, so nothing else can arrive while it is being sent, and
 * `done` runs once that last response is out.  Code that may end in `done`
 * returns right after, without touching the listener again: `done` is
 * allowed to free it. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "debug.h"
#include "loopback.h"
#include "oauth_pkce.h"

#define DEFAULT_TIMEOUT_MS (5 * 60 * 1000)
#define DEFAULT_CONN_TIMEOUT_MS (10 * 1000)

struct conn {
	struct loopback *lb;
	int fd;
	int watch;
	int timer;
	uint64_t seq;      /* accept order, to evict the oldest */
	bool final;        /* its response ends the flow */
	bool draining;     /* answered; reading what is left until EOF */
	size_t len;        /* bytes of the head read */
	char head[LOOPBACK_MAX_HEAD]; /* may hold the code: wiped on close */
	char out[1024];    /* the response (no secrets in it) */
	char dbg_req[128]; /* "GET /path" for the trace: never the query */
	size_t out_len, out_off;
};

struct loopback {
	struct loop *loop;
	int fd;
	int watch;
	int timer;
	int port;
	char *path;
	char *uri;
	struct secret *state;
	int64_t conn_timeout_ms;
	struct conn *conns[LOOPBACK_MAX_CONNECTIONS];
	uint64_t seq;
	loopback_done_fn done;
	void *ctx;
	struct loopback_result result; /* held while the last page is sent */
};

static void conn_close(struct conn *c)
{
	struct loopback *lb = c->lb;
	for (size_t i = 0; i < LOOPBACK_MAX_CONNECTIONS; i++)
		if (lb->conns[i] == c)
			lb->conns[i] = NULL;
	if (c->watch)
		loop_unwatch_fd(lb->loop, c->watch);
	if (c->timer)
		loop_cancel_timer(lb->loop, c->timer);
	if (c->fd >= 0)
		close(c->fd);
	secure_wipe(c->head, sizeof(c->head));
	free(c);
}

static void close_listener(struct loopback *lb)
{
	if (lb->watch)
		loop_unwatch_fd(lb->loop, lb->watch);
	lb->watch = 0;
	if (lb->fd >= 0)
		close(lb->fd);
	lb->fd = -1;
	if (lb->timer)
		loop_cancel_timer(lb->loop, lb->timer);
	lb->timer = 0;
}

static void close_all(struct loopback *lb, const struct conn *keep)
{
	close_listener(lb);
	for (size_t i = 0; i < LOOPBACK_MAX_CONNECTIONS; i++)
		if (lb->conns[i] && lb->conns[i] != keep)
			conn_close(lb->conns[i]);
}

/* Hand the result over.  The listener may be freed by `done`: callers
 * return at once. */
static void finish(struct loopback *lb)
{
	close_all(lb, NULL);
	struct loopback_result r = lb->result;
	memset(&lb->result, 0, sizeof(lb->result));
	loopback_done_fn done = lb->done;
	void *ctx = lb->ctx;
	lb->done = NULL;
	if (done)
		done(ctx, &r);
	secret_free(r.code);
	error_clear(&r.error);
}

/* Start ending the flow with this status; the page still has to go out. */
static void begin_end(struct loopback *lb, struct conn *c, enum aiauth_status st,
                      struct secret *code, struct aiauth_error *e)
{
	lb->result.status = st;
	lb->result.code = code;
	lb->result.error = e;
	if (c)
		c->final = true;
	close_all(lb, c);
}

/* ------------------------------------------------------------ responses */

static void conn_event(void *ctx, int fd, short revents);

/* Send what is left; on completion or failure the connection is closed,
 * and a final one ends the flow. */
static void conn_flush(struct conn *c)
{
	struct loopback *lb = c->lb;
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (c->watch)
				loop_unwatch_fd(lb->loop, c->watch);
			c->watch = loop_watch_fd(lb->loop, c->fd, POLLOUT, conn_event, c);
			if (c->watch)
				return;
		}
		break; /* the client went away, or no memory to wait */
	}
	/* Half-close so the client sees the end of the response.  A refused
	 * client may still be sending (an oversized head): closing with unread
	 * data would reset the connection and could destroy the response
	 * before it is read, so read and drop until it closes or its deadline
	 * comes (a lingering close).  The last response needs none of that: it
	 * answers a complete GET. */
	shutdown(c->fd, SHUT_WR);
	if (!c->final && c->out_off == c->out_len) {
		if (c->watch)
			loop_unwatch_fd(lb->loop, c->watch);
		c->draining = true;
		c->watch = loop_watch_fd(lb->loop, c->fd, POLLIN, conn_event, c);
		if (c->watch)
			return;
	}
	bool final = c->final;
	conn_close(c);
	if (final)
		finish(lb);
}

static void conn_drain(struct conn *c)
{
	char scratch[4096];
	for (;;) {
		ssize_t n = recv(c->fd, scratch, sizeof(scratch), 0);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		conn_close(c);
		break;
	}
	secure_wipe(scratch, sizeof(scratch));
}

static void html_escape_into(char *dst, size_t cap, const char *s)
{
	size_t o = 0;
	for (; *s && o + 7 < cap; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '&': rep = "&amp;"; break;
		case '"': rep = "&quot;"; break;
		default: break;
		}
		if (rep) {
			size_t rn = strlen(rep);
			memcpy(dst + o, rep, rn);
			o += rn;
		} else {
			dst[o++] = *s;
		}
	}
	dst[o] = '\0';
}

/* Queue a short page and start sending it.  The message is static text,
 * never anything from the request. */
static void conn_respond(struct conn *c, int status, const char *reason, const char *message)
{
	char body[640], esc[400];
	html_escape_into(esc, sizeof(esc), message);
	int bn = snprintf(body, sizeof(body),
	                  "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	                  "<title>aiauth</title></head>\n<body><p>%s</p></body></html>\n",
	                  esc);
	if (bn < 0 || (size_t)bn >= sizeof(body))
		bn = 0;
	int n = snprintf(c->out, sizeof(c->out),
	                 "HTTP/1.1 %d %s\r\n"
	                 "Content-Type: text/html; charset=utf-8\r\n"
	                 "Content-Length: %d\r\n"
	                 "Cache-Control: no-store\r\n"
	                 "Referrer-Policy: no-referrer\r\n"
	                 "X-Content-Type-Options: nosniff\r\n"
	                 "Connection: close\r\n\r\n%.*s",
	                 status, reason, bn, bn, body);
	c->out_len = n < 0 ? 0 : (size_t)n < sizeof(c->out) ? (size_t)n : sizeof(c->out) - 1;
	c->out_off = 0;
	debug_log("loopback: %s -> %d %s", c->dbg_req[0] ? c->dbg_req : "(unreadable request)",
	          status, reason);
	if (c->watch)
		loop_unwatch_fd(c->lb->loop, c->watch);
	c->watch = 0;
	conn_flush(c);
}

/* ------------------------------------------------------------ requests */

/* The redirect itself: decide from its query.  May end in finish(). */
static void handle_redirect(struct conn *c, const char *query, size_t qlen)
{
	struct loopback *lb = c->lb;
	struct oauth_pkce_reply r = {0};
	struct aiauth_error *e = NULL;
	if (oauth_pkce_parse_query(query, qlen, &r, &e) != AIAUTH_OK) {
		error_clear(&e);
		conn_respond(c, 400, "Bad Request", _("This sign-in answer could not be read."));
		return;
	}
	/* A request without our state may come from any page the browser
	 * visits: refuse it, and keep waiting for the real one. */
	if (!r.state || !secret_equal(r.state, lb->state)) {
		oauth_pkce_reply_clear(&r);
		conn_respond(c, 400, "Bad Request", _("This sign-in link is not for this session."));
		return;
	}
	if (r.error) {
		oauth_pkce_reply_error(&r, &e);
		enum aiauth_status st = e ? e->status : AIAUTH_REJECTED;
		oauth_pkce_reply_clear(&r);
		begin_end(lb, c, st, NULL, e);
		conn_respond(c, 200, "OK",
		             _("The sign-in was not completed. You can close this tab and return "
		               "to the terminal."));
		return;
	}
	if (!r.code || !r.code->len) {
		oauth_pkce_reply_clear(&r);
		conn_respond(c, 400, "Bad Request", _("This sign-in answer has no code."));
		return;
	}
	struct secret *code = r.code;
	r.code = NULL;
	oauth_pkce_reply_clear(&r);
	begin_end(lb, c, AIAUTH_OK, code, NULL);
	conn_respond(c, 200, "OK", _("Signed in. You can close this tab."));
}

enum loopback_request loopback_request_parse(const char *head, size_t len, const char *path,
                                             const char **query, size_t *query_len)
{
	size_t eol = 0;
	while (eol < len && head[eol] != '\r' && head[eol] != '\n')
		eol++;
	const char *sp1 = memchr(head, ' ', eol);
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', eol - (size_t)(sp1 + 1 - head)) : NULL;
	if (!sp1 || !sp2)
		return LOOPBACK_REQUEST_BAD;
	if ((size_t)(sp1 - head) != 3 || memcmp(head, "GET", 3) != 0)
		return LOOPBACK_REQUEST_METHOD;
	const char *target = sp1 + 1;
	size_t tlen = (size_t)(sp2 - target);
	const char *q = memchr(target, '?', tlen);
	size_t plen = q ? (size_t)(q - target) : tlen;
	if (plen != strlen(path) || memcmp(target, path, plen) != 0)
		return LOOPBACK_REQUEST_NOT_FOUND;
	*query = q ? q + 1 : "";
	*query_len = q ? tlen - plen - 1 : 0;
	return LOOPBACK_REQUEST_REDIRECT;
}

bool loopback_head_complete(const char *head, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (head[i] == '\n' &&
		    (head[i + 1] == '\n' ||
		     (head[i + 1] == '\r' && i + 2 < len && head[i + 2] == '\n')))
			return true;
	}
	return false;
}

/* Can the bytes read so far begin an HTTP request?  Its first line is a
 * method in capitals, a space and printable ASCII; the headers after it are
 * not looked at.  Anything else (a TLS hello from a browser sent to https,
 * binary noise) is refused at once instead of holding a connection until
 * its deadline, waiting for a blank line that will never come. */
bool loopback_head_plausible(const char *head, size_t len)
{
	bool in_method = true;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)head[i];
		if (ch == '\r' || ch == '\n')
			return i > 0 || !in_method;
		if (in_method && ch == ' ') {
			if (i == 0)
				return false;
			in_method = false;
		} else if (in_method ? !(ch >= 'A' && ch <= 'Z') : (ch < 0x20 || ch > 0x7e)) {
			return false;
		}
	}
	return true;
}

/* "GET /path?[redacted]" for the trace: the method and the path, printable
 * and short, never the query. */
static void describe_request(struct conn *c)
{
	size_t eol = 0, o = 0;
	while (eol < c->len && c->head[eol] != '\r' && c->head[eol] != '\n')
		eol++;
	const char *sp1 = memchr(c->head, ' ', eol);
	if (!sp1)
		return;
	size_t mlen = (size_t)(sp1 - c->head), i;
	for (i = 0; i < mlen && i < 8; i++)
		c->dbg_req[o++] = c->head[i];
	c->dbg_req[o++] = ' ';
	bool query = false;
	for (i = mlen + 1; i < eol && c->head[i] != ' '; i++) {
		if (c->head[i] == '?') {
			query = true;
			break;
		}
		if (o < 90)
			c->dbg_req[o++] = c->head[i];
	}
	for (size_t k = 0; k < o; k++)
		if ((unsigned char)c->dbg_req[k] < 0x20 || (unsigned char)c->dbg_req[k] >= 0x7f)
			c->dbg_req[k] = '?';
	snprintf(c->dbg_req + o, sizeof(c->dbg_req) - o, "%s", query ? "?[redacted]" : "");
}

/* A whole head is in: look at the request line only. */
static void handle_request(struct conn *c)
{
	const char *query = NULL;
	size_t qlen = 0;
	describe_request(c);
	switch (loopback_request_parse(c->head, c->len, c->lb->path, &query, &qlen)) {
	case LOOPBACK_REQUEST_BAD:
		conn_respond(c, 400, "Bad Request", _("Bad request."));
		return;
	case LOOPBACK_REQUEST_METHOD:
		conn_respond(c, 405, "Method Not Allowed", _("Method not allowed."));
		return;
	case LOOPBACK_REQUEST_NOT_FOUND:
		conn_respond(c, 404, "Not Found", _("Not found."));
		return;
	case LOOPBACK_REQUEST_REDIRECT:
		handle_redirect(c, query, qlen);
		return;
	}
}

static void conn_read(struct conn *c)
{
	bool eof = false;
	for (;;) {
		if (c->len == sizeof(c->head)) {
			conn_respond(c, 431, "Request Header Fields Too Large",
			             _("The request is too large."));
			return;
		}
		ssize_t n = recv(c->fd, c->head + c->len, sizeof(c->head) - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			conn_close(c); /* reset: nobody to answer */
			return;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		c->len += (size_t)n;
	}
	if (loopback_head_complete(c->head, c->len))
		handle_request(c);
	else if (!loopback_head_plausible(c->head, c->len) || (eof && c->len > 0))
		conn_respond(c, 400, "Bad Request", _("Bad request."));
	else if (eof)
		conn_close(c); /* gone before asking anything */
}

static void conn_event(void *ctx, int fd, short revents)
{
	struct conn *c = ctx;
	(void)fd;
	if (c->draining)
		conn_drain(c);
	else if (c->out_len)
		conn_flush(c);
	else if (revents & (POLLIN | POLLHUP | POLLERR))
		conn_read(c);
	else if (revents & POLLNVAL)
		conn_close(c);
}

static void conn_deadline(void *ctx)
{
	struct conn *c = ctx;
	struct loopback *lb = c->lb;
	c->timer = 0;
	/* A client too slow to ask, or to take its answer, is dropped; the
	 * last page not going out does not keep the flow from ending. */
	bool final = c->final;
	conn_close(c);
	if (final)
		finish(lb);
}

static void on_accept(void *ctx, int fd, short revents)
{
	struct loopback *lb = ctx;
	(void)revents;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return; /* EAGAIN, or out of descriptors: try again later */
		}
		/* Full: the oldest goes, so a crowd of idle connections cannot
		 * keep the browser's request out. */
		size_t slot = LOOPBACK_MAX_CONNECTIONS, oldest = 0;
		for (size_t i = 0; i < LOOPBACK_MAX_CONNECTIONS; i++) {
			if (!lb->conns[i]) {
				slot = i;
				break;
			}
			if (lb->conns[i]->seq < lb->conns[oldest]->seq)
				oldest = i;
		}
		if (slot == LOOPBACK_MAX_CONNECTIONS) {
			conn_close(lb->conns[oldest]);
			slot = oldest;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->lb = lb;
		c->fd = cfd;
		c->seq = ++lb->seq;
		c->watch = loop_watch_fd(lb->loop, cfd, POLLIN, conn_event, c);
		c->timer = loop_add_timer(lb->loop, lb->conn_timeout_ms, conn_deadline, c);
		lb->conns[slot] = c;
		if (!c->watch || !c->timer)
			conn_close(c);
	}
}

static void on_timeout(void *ctx)
{
	struct loopback *lb = ctx;
	lb->timer = 0;
	debug_log("loopback: no redirect came back in time");
	struct aiauth_error *e = NULL;
	error_set(&e, AIAUTH_TIMEOUT, "%s", _("no answer came back from the browser in time"));
	begin_end(lb, NULL, AIAUTH_TIMEOUT, NULL, e);
	finish(lb);
}

/* ------------------------------------------------------------ set-up */

enum aiauth_status loopback_start(struct loop *loop, const struct loopback_options *opts,
                                  loopback_done_fn done, void *ctx, struct loopback **out,
                                  struct aiauth_error **err)
{
	enum aiauth_status st = AIAUTH_OK;
	*out = NULL;
	if (opts->port < 0 || opts->port > 65535 || !opts->state || !opts->state->len)
		return error_set(err, AIAUTH_FAILED, "%s",
		                 _("internal error: bad loopback listener options"));
	struct loopback *lb = calloc(1, sizeof(*lb));
	if (!lb)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	lb->loop = loop;
	lb->fd = -1;
	lb->done = done;
	lb->ctx = ctx;
	lb->conn_timeout_ms = opts->conn_timeout_ms > 0 ? opts->conn_timeout_ms
	                                                : DEFAULT_CONN_TIMEOUT_MS;
	const char *path = opts->path && *opts->path ? opts->path : "/callback";
	size_t pn = strlen(path);
	lb->path = malloc(pn + 2);
	lb->state = secret_from_mem(opts->state->buf, opts->state->len);
	if (!lb->path || !lb->state) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	snprintf(lb->path, pn + 2, "%s%s", path[0] == '/' ? "" : "/", path);

	lb->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lb->fd < 0) {
		st = error_set(err, AIAUTH_FAILED, _("cannot open a socket: %s"), strerror(errno));
		goto out;
	}
	/* Our own closed connections sit in TIME_WAIT on the port; without
	 * this a fixed port could not be reused for a minute.  (On Linux it
	 * never lets two listeners share a port.) */
	int one = 1;
	setsockopt(lb->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1, never INADDR_ANY */
	sa.sin_port = htons((uint16_t)opts->port);
	if (bind(lb->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		if (e == EADDRINUSE)
			st = error_set(err, AIAUTH_FAILED,
			               _("port %d on 127.0.0.1 is already in use, and this sign-in "
			                 "needs it: close what uses it (another sign-in?) and try again"),
			               opts->port);
		else
			st = error_set(err, AIAUTH_FAILED, _("cannot listen on 127.0.0.1:%d: %s"),
			               opts->port, strerror(e));
		goto out;
	}
	if (listen(lb->fd, 16) != 0) {
		st = error_set(err, AIAUTH_FAILED, _("cannot listen on 127.0.0.1:%d: %s"), opts->port,
		               strerror(errno));
		goto out;
	}
	socklen_t sl = sizeof(sa);
	if (getsockname(lb->fd, (struct sockaddr *)&sa, &sl) != 0) {
		st = error_set(err, AIAUTH_FAILED, _("cannot listen on 127.0.0.1: %s"),
		               strerror(errno));
		goto out;
	}
	lb->port = ntohs(sa.sin_port);
	size_t un = strlen(lb->path) + 32;
	lb->uri = malloc(un);
	if (!lb->uri) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	snprintf(lb->uri, un, "http://127.0.0.1:%d%s", lb->port, lb->path);
	debug_log("loopback: listening on 127.0.0.1:%d for %s", lb->port, lb->path);
	lb->watch = loop_watch_fd(loop, lb->fd, POLLIN, on_accept, lb);
	lb->timer = loop_add_timer(loop, opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS,
	                           on_timeout, lb);
	if (!lb->watch || !lb->timer) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
out:
	if (st != AIAUTH_OK) {
		lb->done = NULL;
		loopback_free(lb);
		return st;
	}
	*out = lb;
	return AIAUTH_OK;
}

int loopback_port(const struct loopback *lb)
{
	return lb->port;
}

const char *loopback_redirect_uri(const struct loopback *lb)
{
	return lb->uri;
}

int loopback_fd(const struct loopback *lb)
{
	return lb->fd;
}

void loopback_free(struct loopback *lb)
{
	if (!lb)
		return;
	close_all(lb, NULL);
	secret_free(lb->result.code);
	error_clear(&lb->result.error);
	secret_free(lb->state);
	free(lb->path);
	free(lb->uri);
	free(lb);
}
