/* fsutil.h - the file rules of aiauth: private directories, atomic writes,
 * advisory locks, XDG locations.
 *
 * Directories aiauth creates are 0700; files it writes are 0600 unless the
 * caller says otherwise.  Writes are atomic: a temporary file in the same
 * directory is written, fsync'd and renamed over the target, then the
 * directory is fsync'd, so a reader sees the old or the new file, never a
 * mix, even if the process is killed half way. */
#ifndef AIAUTH_FSUTIL_H
#define AIAUTH_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "secret.h"

/* Newly allocated "$XDG_CONFIG_HOME/aiauth" (default ~/.config/aiauth) and
 * "$XDG_DATA_HOME/aiauth" (default ~/.local/share/aiauth).  Relative XDG
 * values are ignored, as the XDG specification asks.  The directory is not
 * created. */
enum aiauth_status paths_config_dir(char **out, struct aiauth_error **err);
enum aiauth_status paths_data_dir(char **out, struct aiauth_error **err);
/* Newly allocated "dir/name". NULL on OOM. */
char *path_join(const char *dir, const char *name);

/* Create `dir` and its missing parents; directories created get mode 0700.
 * The last component, if it already exists and belongs to us, is tightened
 * to 0700. */
enum aiauth_status fs_mkdir_private(const char *dir, struct aiauth_error **err);

/* Replace `path` atomically with `len` bytes of `data`, with `mode`. The
 * temporary file is removed on failure and the old file is left in place. */
enum aiauth_status fs_write_atomic(const char *path, const void *data, size_t len,
                                   mode_t mode, struct aiauth_error **err);

/* Remove the temporary files that fs_write_atomic() for `path` left behind
 * when its process was killed.  Call it only while holding the exclusive
 * lock that every writer of `path` takes: then no such file is in use.
 * Best effort: nothing is reported. */
void fs_remove_stale_temps(const char *path);

/* Read a whole file of at most `max` bytes into a NUL-terminated heap
 * buffer.  AIAUTH_NOT_FOUND when it does not exist (no message is set for
 * that case, callers decide whether it is an error). */
enum aiauth_status fs_read_all(const char *path, size_t max, char **data, size_t *len,
                               struct aiauth_error **err);
/* The same into a struct secret (for passphrase files and the vault). */
enum aiauth_status fs_read_secret(const char *path, size_t max, struct secret **out,
                                  struct aiauth_error **err);

/* Take an flock on `lock_path` (created 0600 if missing), blocking until it
 * is free.  *fd receives the descriptor to pass to fs_unlock(). */
enum aiauth_status fs_lock(const char *lock_path, bool exclusive, int *fd,
                           struct aiauth_error **err);
void fs_unlock(int fd);

/* Rename a damaged file out of the way ("accounts.json.corrupt-20261123-134501")
 * so that nothing ever overwrites it silently.  *moved_to (optional) receives
 * the new name. */
enum aiauth_status fs_set_aside(const char *path, char **moved_to, struct aiauth_error **err);

#endif
