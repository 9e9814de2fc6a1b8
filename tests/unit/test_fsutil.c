/* test_fsutil.c - XDG paths, private directories, atomic writes, reads,
 * locks and setting damaged files aside. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "tap.h"

static const char *T; /* scratch directory */

static char *tpath(const char *name)
{
	return path_join(T, name);
}

static void write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror(path);
		exit(99);
	}
	close(fd);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

/* Is `data` exactly the content of `path`? */
static int file_is(const char *path, const char *data, size_t len)
{
	char *got = NULL;
	size_t n = 0;
	if (fs_read_all(path, 1 << 24, &got, &n, NULL) != AIAUTH_OK)
		return 0;
	int same = n == len && memcmp(got, data, len) == 0;
	free(got);
	return same;
}

/* Number of entries in dir whose name contains `needle`. */
static int count_entries(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strstr(e->d_name, needle))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void expect_path(enum aiauth_status (*fn)(char **, struct aiauth_error **),
                        const char *what, const char *want)
{
	char *out = NULL;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = fn(&out, &err);
	ok(st == AIAUTH_OK && out && strcmp(out, want) == 0, "%s -> %s (got %s)", what, want,
	   out ? out : "(null)");
	free(out);
	error_clear(&err);
}

static void test_paths(void)
{
	char *p = path_join("/a", "b");
	ok(strcmp(p, "/a/b") == 0, "path_join(\"/a\", \"b\")");
	free(p);
	p = path_join("/a//", "b");
	ok(strcmp(p, "/a/b") == 0, "path_join drops trailing slashes of the directory");
	free(p);
	p = path_join("/", "b");
	ok(strcmp(p, "/b") == 0, "path_join(\"/\", \"b\") is \"/b\"");
	free(p);

	setenv("HOME", "/home/tester", 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
	expect_path(paths_config_dir, "config, no XDG", "/home/tester/.config/aiauth");
	expect_path(paths_data_dir, "data, no XDG", "/home/tester/.local/share/aiauth");
	setenv("XDG_CONFIG_HOME", "/xdg/cfg", 1);
	setenv("XDG_DATA_HOME", "/xdg/data", 1);
	expect_path(paths_config_dir, "config, absolute XDG_CONFIG_HOME", "/xdg/cfg/aiauth");
	expect_path(paths_data_dir, "data, absolute XDG_DATA_HOME", "/xdg/data/aiauth");
	setenv("XDG_CONFIG_HOME", "/xdg/cfg/", 1);
	expect_path(paths_config_dir, "config, XDG_CONFIG_HOME with trailing slash", "/xdg/cfg/aiauth");
	setenv("XDG_CONFIG_HOME", "relative/cfg", 1);
	setenv("XDG_DATA_HOME", "relative/data", 1);
	expect_path(paths_config_dir, "config, relative XDG ignored", "/home/tester/.config/aiauth");
	expect_path(paths_data_dir, "data, relative XDG ignored", "/home/tester/.local/share/aiauth");
	setenv("XDG_CONFIG_HOME", "", 1);
	expect_path(paths_config_dir, "config, empty XDG ignored", "/home/tester/.config/aiauth");

	unsetenv("HOME");
	char *out = (char *)"untouched";
	struct aiauth_error *err = NULL;
	enum aiauth_status st = paths_config_dir(&out, &err);
	ok(st != AIAUTH_OK && err && strstr(err->message, "HOME") &&
	       strstr(err->message, "XDG_CONFIG_HOME"),
	   "no HOME and a relative XDG value: error naming HOME and XDG_CONFIG_HOME");
	ok(strcmp(out, "untouched") == 0, "*out is untouched on error");
	error_clear(&err);
	st = paths_data_dir(&out, &err);
	ok(st != AIAUTH_OK && err && strstr(err->message, "XDG_DATA_HOME"), "data dir without HOME fails too");
	error_clear(&err);
	setenv("HOME", "relative-home", 1);
	st = paths_data_dir(&out, &err);
	ok(st != AIAUTH_OK && err, "a relative HOME is refused");
	error_clear(&err);
	setenv("XDG_DATA_HOME", "/abs/data", 1);
	expect_path(paths_data_dir, "data, absolute XDG works without HOME", "/abs/data/aiauth");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
}

static void test_mkdir(void)
{
	struct aiauth_error *err = NULL;
	umask(022);
	char *a = tpath("mk"), *ab = tpath("mk/b"), *abc = tpath("mk/b/c");
	ok(fs_mkdir_private(abc, &err) == AIAUTH_OK && !err, "fs_mkdir_private creates missing parents");
	ok(mode_of(a) == 0700 && mode_of(ab) == 0700 && mode_of(abc) == 0700,
	   "every created directory is 0700 (umask 022)");
	ok(fs_mkdir_private(abc, &err) == AIAUTH_OK, "calling it again is fine");

	chmod(ab, 0755);
	chmod(abc, 0755);
	ok(fs_mkdir_private(abc, &err) == AIAUTH_OK && mode_of(abc) == 0700,
	   "an existing 0755 leaf of ours is tightened to 0700");
	ok(mode_of(ab) == 0755, "an existing parent is left alone");

	umask(0277); /* would make mkdir(0700) produce an unusable 0500 */
	char *u = tpath("umask/x/y");
	ok(fs_mkdir_private(u, &err) == AIAUTH_OK && mode_of(u) == 0700,
	   "created directories are exactly 0700 even under umask 0277");
	error_clear(&err);
	umask(022);

	char *slash = tpath("trail/ing/");
	char *noslash = tpath("trail/ing");
	ok(fs_mkdir_private(slash, &err) == AIAUTH_OK && mode_of(noslash) == 0700,
	   "a trailing slash is accepted");
	error_clear(&err);

	char *f = tpath("afile");
	write_file(f, "x", 1, 0600);
	ok(fs_mkdir_private(f, &err) == AIAUTH_IO && err && strstr(err->message, "not a directory"),
	   "an existing file in the way is an error saying so");
	error_clear(&err);
	char *under = tpath("afile/sub");
	ok(fs_mkdir_private(under, &err) == AIAUTH_IO && err, "a file as a parent is an error");
	error_clear(&err);
	ok(fs_mkdir_private("", &err) != AIAUTH_OK && err, "an empty name is an error");
	error_clear(&err);
	free(a);
	free(ab);
	free(abc);
	free(u);
	free(slash);
	free(noslash);
	free(f);
	free(under);
}

/* Run fs_write_atomic as an unprivileged user: root ignores directory
 * permissions.  The child sends back the status and the message. */
static void test_write_unwritable(void)
{
	char *dir = tpath("ro");
	char *path = tpath("ro/accounts.json");
	mkdir(dir, 0755);
	write_file(path, "OLD CONTENT", 11, 0644);
	chmod(dir, 0555);
	chmod(T, 0755); /* so the unprivileged child can reach ro/ at all */
	int pfd[2];
	if (pipe(pfd) != 0)
		exit(99);
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(99);
		struct aiauth_error *err = NULL;
		enum aiauth_status st = fs_write_atomic(path, "NEW", 3, 0600, &err);
		char msg[600];
		snprintf(msg, sizeof(msg), "%d|%s", (int)st, err ? err->message : "");
		if (write(pfd[1], msg, strlen(msg)) < 0)
			_exit(98);
		_exit(0);
	}
	close(pfd[1]);
	char msg[600] = "";
	ssize_t n = read(pfd[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	int status;
	waitpid(pid, &status, 0);
	char *bar = strchr(msg, '|');
	int st = bar ? atoi(msg) : -1;
	ok(st == AIAUTH_IO, "write into an unwritable directory fails with AIAUTH_IO");
	ok(bar && strstr(bar, path) && strstr(bar, strerror(EACCES)),
	   "the message names the target and the reason: %s", bar ? bar + 1 : "(none)");
	ok(bar && !strstr(bar, ".tmp-"), "the message does not talk about the temporary file");
	ok(file_is(path, "OLD CONTENT", 11), "the old file is intact");
	ok(count_entries(dir, ".tmp-") == 0, "no temporary file is left");
	chmod(dir, 0755);
	chmod(T, 0700);
	free(dir);
	free(path);
}

static void test_write_atomic(void)
{
	struct aiauth_error *err = NULL;
	char *path = tpath("w.json");
	static const char bin[] = "{\"k\":\"v\"}\n\0tail";
	umask(0);
	ok(fs_write_atomic(path, bin, sizeof(bin) - 1, 0600, &err) == AIAUTH_OK && !err,
	   "fs_write_atomic succeeds");
	ok(file_is(path, bin, sizeof(bin) - 1), "content is exact, embedded NUL included");
	ok(mode_of(path) == 0600, "mode is exactly 0600 under umask 0");

	struct stat before, after;
	stat(path, &before);
	ok(fs_write_atomic(path, "short", 5, 0600, &err) == AIAUTH_OK, "replacing an existing file");
	stat(path, &after);
	ok(file_is(path, "short", 5), "the replacement has only the new content");
	ok(before.st_ino != after.st_ino, "the file was replaced by rename, not rewritten in place");

	umask(077);
	ok(fs_write_atomic(path, "m", 1, 0644, &err) == AIAUTH_OK && mode_of(path) == 0644,
	   "a caller's mode 0644 is exact even under umask 077");
	umask(022);
	ok(fs_write_atomic(path, "", 0, 0600, &err) == AIAUTH_OK && file_is(path, "", 0),
	   "an empty file can be written");
	ok(count_entries(T, "w.json.tmp-") == 0, "no *.tmp-* files are left after success");
	error_clear(&err);

	/* rename() over a directory fails after the temporary was written. */
	char *d = tpath("isdir");
	mkdir(d, 0700);
	ok(fs_write_atomic(d, "x", 1, 0600, &err) == AIAUTH_IO && err, "replacing a directory fails");
	ok(count_entries(T, "isdir.tmp-") == 0, "the temporary file is removed on failure");
	error_clear(&err);

	char *missing = tpath("nodir/f");
	ok(fs_write_atomic(missing, "x", 1, 0600, &err) == AIAUTH_IO && err &&
	       strstr(err->message, missing),
	   "a missing directory is an error naming the file");
	error_clear(&err);
	free(missing);
	free(d);
	free(path);
	test_write_unwritable();
}

static void test_read(void)
{
	struct aiauth_error *err = NULL;
	char *data = (char *)"untouched";
	size_t len = 12345;
	char *missing = tpath("missing");
	ok(fs_read_all(missing, 100, &data, &len, &err) == AIAUTH_NOT_FOUND,
	   "fs_read_all on a missing file: AIAUTH_NOT_FOUND");
	ok(err == NULL, "no message for NOT_FOUND (the caller decides)");
	ok(strcmp(data, "untouched") == 0 && len == 12345, "outputs untouched when not found");

	char *p = tpath("r.bin");
	static const char bin[] = "ab\0cd\n";
	write_file(p, bin, 6, 0600);
	ok(fs_read_all(p, 100, &data, &len, &err) == AIAUTH_OK && len == 6 &&
	       memcmp(data, bin, 6) == 0,
	   "exact content with embedded NUL");
	ok(data[6] == '\0', "result is NUL-terminated");
	free(data);
	ok(fs_read_all(p, 100, &data, NULL, &err) == AIAUTH_OK, "len may be NULL");
	free(data);

	ok(fs_read_all(p, 6, &data, &len, &err) == AIAUTH_OK && len == 6, "a file of exactly max bytes is read");
	free(data);
	data = (char *)"untouched";
	ok(fs_read_all(p, 5, &data, &len, &err) == AIAUTH_CORRUPT && err &&
	       strstr(err->message, "too large"),
	   "a file over max is refused with a message");
	ok(strcmp(data, "untouched") == 0, "*data untouched when refused");
	error_clear(&err);

	char *e = tpath("empty");
	write_file(e, "", 0, 0600);
	ok(fs_read_all(e, 10, &data, &len, &err) == AIAUTH_OK && len == 0 && data[0] == '\0',
	   "an empty file reads as an empty string");
	free(data);

	/* Several read chunks and buffer growths. */
	size_t big = 100000;
	char *bb = malloc(big);
	for (size_t i = 0; i < big; i++)
		bb[i] = (char)(i * 31 + 7);
	char *bp = tpath("big");
	write_file(bp, bb, big, 0600);
	ok(fs_read_all(bp, big, &data, &len, &err) == AIAUTH_OK && len == big &&
	       memcmp(data, bb, big) == 0 && data[big] == '\0',
	   "a 100000-byte file is read exactly");
	free(data);
	ok(fs_read_all(bp, big - 1, &data, &len, &err) == AIAUTH_CORRUPT, "and refused at max = size - 1");
	error_clear(&err);

	ok(fs_read_all(T, 100, &data, &len, &err) == AIAUTH_IO && err, "reading a directory is an I/O error");
	error_clear(&err);

	/* fs_read_secret */
	struct secret *s = NULL;
	ok(fs_read_secret(p, 100, &s, &err) == AIAUTH_OK && s && s->len == 6 &&
	       memcmp(s->buf, bin, 6) == 0 && s->buf[6] == '\0',
	   "fs_read_secret: exact bytes, NUL-terminated");
	secret_free(s);
	s = NULL;
	ok(fs_read_secret(bp, big, &s, &err) == AIAUTH_OK && s && s->len == big &&
	       memcmp(s->buf, bb, big) == 0,
	   "fs_read_secret: 100000 bytes through secret growth");
	secret_free(s);
	s = NULL;
	ok(fs_read_secret(missing, 100, &s, &err) == AIAUTH_NOT_FOUND && err &&
	       strstr(err->message, missing) && !s,
	   "fs_read_secret on a missing file: NOT_FOUND with a message naming it");
	error_clear(&err);
	ok(fs_read_secret(bp, 1000, &s, &err) == AIAUTH_CORRUPT && err && !s,
	   "fs_read_secret refuses a file over max, *out untouched");
	error_clear(&err);
	free(bb);
	free(bp);
	free(e);
	free(p);
	free(missing);
}

/* In a child: can `path` be flock'ed with `op` | LOCK_NB right now? */
static int child_can_lock(const char *path, int op)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		if (fd < 0)
			_exit(2);
		_exit(flock(fd, op | LOCK_NB) == 0 ? 0 : (errno == EWOULDBLOCK ? 1 : 3));
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) == 0 : 0;
}

static void test_lock(void)
{
	struct aiauth_error *err = NULL;
	char *lp = tpath("store.lock");
	int fd = -1;
	umask(0);
	ok(fs_lock(lp, true, &fd, &err) == AIAUTH_OK && fd >= 0, "fs_lock takes an exclusive lock");
	ok(mode_of(lp) == 0600, "the lock file is created 0600");
	ok(!child_can_lock(lp, LOCK_EX), "another process cannot take LOCK_EX while it is held");
	ok(!child_can_lock(lp, LOCK_SH), "nor LOCK_SH");
	fs_unlock(fd);
	ok(child_can_lock(lp, LOCK_EX), "after fs_unlock another process can lock it");
	ok(fcntl(fd, F_GETFD) == -1, "fs_unlock closed the descriptor");

	ok(fs_lock(lp, false, &fd, &err) == AIAUTH_OK, "fs_lock takes a shared lock");
	ok(child_can_lock(lp, LOCK_SH), "a shared lock admits another shared lock");
	ok(!child_can_lock(lp, LOCK_EX), "a shared lock keeps out an exclusive one");
	fs_unlock(fd);
	fs_unlock(-1);

	/* A blocked fs_lock waits and then succeeds. */
	ok(fs_lock(lp, true, &fd, &err) == AIAUTH_OK, "lock held again");
	pid_t pid = fork();
	if (pid == 0) {
		int cfd;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (fs_lock(lp, true, &cfd, NULL) != AIAUTH_OK)
			_exit(2);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		_exit(waited >= 0.15 ? 0 : 1);
	}
	struct timespec pause = {0, 300 * 1000 * 1000};
	nanosleep(&pause, NULL);
	fs_unlock(fd);
	int status;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a second fs_lock blocks until the first is released");

	fd = 4242;
	char *bad = tpath("nodir/x.lock");
	ok(fs_lock(bad, true, &fd, &err) == AIAUTH_IO && err && strstr(err->message, bad) && fd == 4242,
	   "fs_lock in a missing directory: error naming the path, *fd untouched");
	error_clear(&err);
	umask(022);
	free(bad);
	free(lp);
}

static char *stamp_name(const char *path, time_t t)
{
	char stamp[32];
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	size_t n = strlen(path) + 64;
	char *s = malloc(n);
	snprintf(s, n, "%s.corrupt-%s", path, stamp);
	return s;
}

static void test_set_aside(void)
{
	struct aiauth_error *err = NULL;
	char *dir = tpath("aside");
	mkdir(dir, 0700);
	char *p = path_join(dir, "accounts.json");
	static const char bad1[] = "{\"broken\": \0\xff";
	write_file(p, bad1, sizeof(bad1) - 1, 0600);
	char *moved = NULL;
	ok(fs_set_aside(p, &moved, &err) == AIAUTH_OK && moved, "fs_set_aside moves the file");
	size_t plen = strlen(p);
	ok(moved && strncmp(moved, p, plen) == 0 && strncmp(moved + plen, ".corrupt-", 9) == 0,
	   "the new name is <path>.corrupt-<stamp>: %s", moved ? moved : "(null)");
	ok(access(p, F_OK) != 0, "the original name is free");
	ok(moved && file_is(moved, bad1, sizeof(bad1) - 1), "the bytes are intact");

	/* Occupy the names the next call would pick in this second and the
	 * next, so it has to choose another and must not overwrite these. */
	time_t now = time(NULL);
	char *n0 = stamp_name(p, now), *n1 = stamp_name(p, now + 1);
	if (strcmp(n0, moved) != 0)
		write_file(n0, "KEEP0", 5, 0600);
	write_file(n1, "KEEP1", 5, 0600);
	write_file(p, "SECOND", 6, 0600);
	char *moved2 = NULL;
	ok(fs_set_aside(p, &moved2, &err) == AIAUTH_OK && moved2, "a second set-aside succeeds");
	ok(moved2 && strcmp(moved2, moved) != 0 && strcmp(moved2, n0) != 0 && strcmp(moved2, n1) != 0,
	   "it picked a name of its own: %s", moved2 ? moved2 : "(null)");
	ok(file_is(moved, bad1, sizeof(bad1) - 1), "the first set-aside file was not overwritten");
	ok(strcmp(n0, moved) == 0 || file_is(n0, "KEEP0", 5), "an existing file of that name was not overwritten");
	ok(file_is(n1, "KEEP1", 5), "nor the one of the next second");
	ok(moved2 && file_is(moved2, "SECOND", 6), "the second file's bytes are intact");
	ok(count_entries(dir, ".corrupt-") == (strcmp(n0, moved) == 0 ? 3 : 4), "nothing was lost");

	write_file(p, "THIRD", 5, 0600);
	ok(fs_set_aside(p, NULL, &err) == AIAUTH_OK && access(p, F_OK) != 0, "moved_to may be NULL");
	ok(fs_set_aside(p, &moved2, &err) == AIAUTH_IO && err && strstr(err->message, p),
	   "setting aside a missing file is an error naming it");
	error_clear(&err);
	free(moved);
	free(moved2);
	free(n0);
	free(n1);
	free(p);
	free(dir);
}

static void test_stale_temps(void)
{
	char *dir = tpath("stale");
	mkdir(dir, 0700);
	static const char *const orphans[] = {"v.bin.tmp-4242-0", "v.bin.tmp-4243-7"};
	static const char *const others[] = {"v.bin", "v.bin.lock", "v.binx.tmp-1-0",
	                                     "w.bin.tmp-1-0", "v.bin.corrupt-20260101-000000"};
	for (size_t i = 0; i < 2; i++) {
		char *p = path_join(dir, orphans[i]);
		write_file(p, "half", 4, 0600);
		free(p);
	}
	for (size_t i = 0; i < 5; i++) {
		char *p = path_join(dir, others[i]);
		write_file(p, "keep", 4, 0600);
		free(p);
	}
	char *target = path_join(dir, "v.bin");
	fs_remove_stale_temps(target);
	ok(count_entries(dir, "v.bin.tmp-") == 0, "the temporary files of v.bin are removed");
	int kept = 0;
	for (size_t i = 0; i < 5; i++) {
		char *p = path_join(dir, others[i]);
		kept += file_is(p, "keep", 4);
		free(p);
	}
	ok(kept == 5, "every other file is left alone (%d of 5)", kept);
	fs_remove_stale_temps(target); /* nothing to do */
	char *gone = tpath("no-such-dir/v.bin");
	fs_remove_stale_temps(gone); /* no directory: no harm */
	ok(count_entries(dir, "bin") == 5, "nothing else happens when there is nothing to remove");
	free(gone);
	free(target);
	free(dir);
}

int main(void)
{
	T = tap_tmpdir();
	test_paths();
	test_mkdir();
	test_write_atomic();
	test_read();
	test_lock();
	test_set_aside();
	test_stale_temps();
	return done_testing();
}
