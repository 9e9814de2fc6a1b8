/* fsutil.c - private directories, atomic writes, advisory locks, XDG paths. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "debug.h"
#include "fsutil.h"

char *path_join(const char *dir, const char *name)
{
	/* "$XDG_CONFIG_HOME/" is a common spelling: drop trailing slashes so
	 * paths shown to the user have no "//" in them (a lone "/" stays). */
	size_t dlen = strlen(dir);
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	const char *sep = dlen == 1 && dir[0] == '/' ? "" : "/";
	size_t n = dlen + 1 + strlen(name) + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%.*s%s%s", (int)dlen, dir, sep, name);
	return p;
}

static enum aiauth_status xdg_dir(const char *var, const char *fallback, char **out,
                                  struct aiauth_error **err)
{
	const char *base = getenv(var);
	char *dir;
	if (base && base[0] == '/') {
		dir = path_join(base, "aiauth");
	} else {
		const char *home = getenv("HOME");
		if (!home || home[0] != '/')
			return error_set(err, AIAUTH_FAILED,
			                 _("cannot find a home directory: set HOME or %s"), var);
		char *tmp = path_join(home, fallback);
		if (!tmp)
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		dir = path_join(tmp, "aiauth");
		free(tmp);
	}
	if (!dir)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	*out = dir;
	return AIAUTH_OK;
}

enum aiauth_status paths_config_dir(char **out, struct aiauth_error **err)
{
	return xdg_dir("XDG_CONFIG_HOME", ".config", out, err);
}

enum aiauth_status paths_data_dir(char **out, struct aiauth_error **err)
{
	return xdg_dir("XDG_DATA_HOME", ".local/share", out, err);
}

/* mkdir one component with exactly 0700: the umask may strip bits we need
 * (0700 & ~0277 would leave an unusable 0500), so a directory we created is
 * chmod'ed; one that already existed is left alone (it is a parent we do
 * not own, e.g. $HOME). */
static enum aiauth_status mkdir_0700(const char *path, bool *existed, struct aiauth_error **err)
{
	*existed = false;
	if (mkdir(path, 0700) == 0) {
		if (chmod(path, 0700) != 0) {
			int e = errno;
			return error_set(err, AIAUTH_IO, _("cannot set permissions of %s: %s"), path,
			                 strerror(e));
		}
		return AIAUTH_OK;
	}
	int e = errno;
	if (e != EEXIST)
		return error_set(err, AIAUTH_IO, _("cannot create directory %s: %s"), path,
		                 strerror(e));
	*existed = true;
	return AIAUTH_OK;
}

enum aiauth_status fs_mkdir_private(const char *dir, struct aiauth_error **err)
{
	char path[PATH_MAX];
	bool existed;
	enum aiauth_status st;
	if (!dir[0])
		return error_set(err, AIAUTH_USAGE, "%s", _("empty directory name"));
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return error_set(err, AIAUTH_IO, _("path too long: %s"), dir);
	/* Trailing slashes would make the last component look empty. */
	size_t plen = strlen(path);
	while (plen > 1 && path[plen - 1] == '/')
		path[--plen] = '\0';
	for (char *p = path + 1; *p; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		st = mkdir_0700(path, &existed, err);
		if (st != AIAUTH_OK)
			return st;
		*p = '/';
	}
	st = mkdir_0700(path, &existed, err);
	if (st != AIAUTH_OK || !existed)
		return st;
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return error_set(err, AIAUTH_IO, _("%s exists and is not a directory"), path);
	/* Our own directory left group- or world-readable would expose what we
	 * put in it: failing to tighten it is an error, not a shrug. */
	if (sb.st_uid == geteuid() && (sb.st_mode & 077) && chmod(path, 0700) != 0) {
		int e = errno;
		return error_set(err, AIAUTH_IO, _("cannot set permissions of %s: %s"), path,
		                 strerror(e));
	}
	return AIAUTH_OK;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

enum aiauth_status fs_write_atomic(const char *path, const void *data, size_t len,
                                   mode_t mode, struct aiauth_error **err)
{
	enum aiauth_status st = AIAUTH_OK;
	char *dir = dir_of(path);
	size_t tn = strlen(path) + 32;
	char *tmp = malloc(tn);
	int fd = -1;
	if (!dir || !tmp) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	/* The temporary name is unique per process and attempt, in the same
	 * directory so that rename() stays on one file system. */
	for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
		snprintf(tmp, tn, "%s.tmp-%ld-%d", path, (long)getpid(), attempt);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 0777);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		int e = errno;
		/* Name the file the user asked for; the temporary name means nothing
		 * to them (the usual cause is an unwritable directory). */
		st = error_set(err, AIAUTH_IO, _("cannot write %s: cannot create a file in %s: %s"),
		               path, dir, strerror(e));
		goto out;
	}
	/* The umask may have narrowed the mode; make it exactly what was asked. */
	fchmod(fd, mode & 0777);
	const unsigned char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : ENOSPC;
			st = error_set(err, AIAUTH_IO, _("cannot write %s: %s"), path, strerror(e));
			goto fail;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) != 0) {
		int e = errno;
		st = error_set(err, AIAUTH_IO, _("cannot write %s: %s"), path, strerror(e));
		goto fail;
	}
	if (close(fd) != 0) {
		int e = errno;
		fd = -1;
		st = error_set(err, AIAUTH_IO, _("cannot write %s: %s"), path, strerror(e));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		int e = errno;
		st = error_set(err, AIAUTH_IO, _("cannot replace %s: %s"), path, strerror(e));
		goto fail;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(dir);
	free(tmp);
	return st;
}

void fs_remove_stale_temps(const char *path)
{
	char *dir = dir_of(path);
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t n = strlen(base);
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	/* The names fs_write_atomic() makes: "<base>.tmp-<pid>-<attempt>". */
	while (d && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, base, n) == 0 && strncmp(e->d_name + n, ".tmp-", 5) == 0)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
	free(dir);
}

static enum aiauth_status read_fd_all(int fd, const char *path, size_t max,
                                      struct secret *into, char **heap, size_t *len,
                                      struct aiauth_error **err)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;
	unsigned char chunk[4096];
	enum aiauth_status st = AIAUTH_OK;
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			st = error_set(err, AIAUTH_IO, _("cannot read %s: %s"), path, strerror(e));
			break;
		}
		if (r == 0)
			break;
		if (n + (size_t)r > max) {
			st = error_set(err, AIAUTH_CORRUPT, _("%s is too large (over %zu bytes)"), path,
			               max);
			break;
		}
		if (into) {
			if (secret_append(into, chunk, (size_t)r) != AIAUTH_OK) {
				st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
				break;
			}
		} else {
			if (n + (size_t)r + 1 > cap) {
				size_t ncap = cap ? cap * 2 : 8192;
				while (ncap < n + (size_t)r + 1)
					ncap *= 2;
				char *nb = realloc(buf, ncap);
				if (!nb) {
					st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
					break;
				}
				buf = nb;
				cap = ncap;
			}
			memcpy(buf + n, chunk, (size_t)r);
		}
		n += (size_t)r;
	}
	secure_wipe(chunk, sizeof(chunk));
	if (st != AIAUTH_OK) {
		free(buf);
		return st;
	}
	if (!into) {
		if (!buf && !(buf = malloc(1)))
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		buf[n] = '\0';
		*heap = buf;
		if (len)
			*len = n;
	}
	return AIAUTH_OK;
}

static enum aiauth_status open_for_read(const char *path, int *fd, struct aiauth_error **err)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd >= 0)
		return AIAUTH_OK;
	int e = errno;
	if (e == ENOENT)
		return AIAUTH_NOT_FOUND;
	return error_set(err, AIAUTH_IO, _("cannot open %s: %s"), path, strerror(e));
}

enum aiauth_status fs_read_all(const char *path, size_t max, char **data, size_t *len,
                               struct aiauth_error **err)
{
	int fd;
	enum aiauth_status st = open_for_read(path, &fd, err);
	if (st != AIAUTH_OK)
		return st;
	st = read_fd_all(fd, path, max, NULL, data, len, err);
	close(fd);
	return st;
}

enum aiauth_status fs_read_secret(const char *path, size_t max, struct secret **out,
                                  struct aiauth_error **err)
{
	int fd;
	enum aiauth_status st = open_for_read(path, &fd, err);
	if (st == AIAUTH_NOT_FOUND)
		return error_set(err, AIAUTH_NOT_FOUND, _("%s does not exist"), path);
	if (st != AIAUTH_OK)
		return st;
	struct secret *s = secret_new(256);
	if (!s) {
		close(fd);
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	st = read_fd_all(fd, path, max, s, NULL, NULL, err);
	close(fd);
	if (st != AIAUTH_OK) {
		secret_free(s);
		return st;
	}
	*out = s;
	return AIAUTH_OK;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum aiauth_status fs_lock(const char *lock_path, bool exclusive, int *fd,
                           struct aiauth_error **err)
{
	int lfd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0) {
		int e = errno;
		return error_set(err, AIAUTH_IO, _("cannot open lock file %s: %s"), lock_path,
		                 strerror(e));
	}
	/* Try first without waiting, so that a wait shows in the trace. */
	int how = exclusive ? LOCK_EX : LOCK_SH;
	int64_t waited_since = -1;
	while (flock(lfd, waited_since < 0 ? how | LOCK_NB : how) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK && waited_since < 0) {
			waited_since = monotonic_ms();
			debug_log("lock: waiting for %s (%s)", lock_path, exclusive ? "exclusive" : "shared");
			continue;
		}
		int e = errno;
		close(lfd);
		return error_set(err, AIAUTH_IO, _("cannot lock %s: %s"), lock_path, strerror(e));
	}
	if (waited_since >= 0)
		debug_log("lock: got %s after %lld ms", lock_path,
		          (long long)(monotonic_ms() - waited_since));
	*fd = lfd;
	return AIAUTH_OK;
}

void fs_unlock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

/* Rename without ever replacing an existing `to`: renameat2's
 * RENAME_NOREPLACE where the file system has it, else link() + unlink(),
 * which fails with EEXIST just as atomically. */
static int rename_noreplace(const char *from, const char *to)
{
#ifdef RENAME_NOREPLACE
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	if (link(from, to) != 0)
		return -1;
	if (unlink(from) != 0) {
		int e = errno;
		unlink(to);
		errno = e;
		return -1;
	}
	return 0;
}

enum aiauth_status fs_set_aside(const char *path, char **moved_to, struct aiauth_error **err)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	size_t n = strlen(path) + 64;
	char *dest = malloc(n);
	if (!dest)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	/* Checking for a free name and then renaming would race with another
	 * process setting the same file aside in the same second; the
	 * no-replace rename makes "never overwrite" hold without a check. */
	int e = EEXIST;
	for (int i = 0; i < 1000 && e == EEXIST; i++) {
		if (i == 0)
			snprintf(dest, n, "%s.corrupt-%s", path, stamp);
		else
			snprintf(dest, n, "%s.corrupt-%s-%d", path, stamp, i);
		e = rename_noreplace(path, dest) == 0 ? 0 : errno;
	}
	if (e != 0) {
		free(dest);
		return error_set(err, AIAUTH_IO, _("cannot move %s aside: %s"), path, strerror(e));
	}
	if (moved_to)
		*moved_to = dest;
	else
		free(dest);
	return AIAUTH_OK;
}
