#ifndef A0_SHIMS_H
#define A0_SHIMS_H

#include <spawn.h>

/// pipe2(2) with O_CLOEXEC: no window in which a concurrently spawned child
/// could inherit the descriptors.
int a0_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addchdir_np (glibc >= 2.29), which Swift's Glibc
/// module does not expose without _GNU_SOURCE.
int a0_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// renameat2(2) with RENAME_EXCHANGE: swaps two paths atomically, so a
/// directory is replaced without a moment in which it is missing.
int a0_exchange(const char *first, const char *second);

/// syncfs(2): flushes the filesystem holding `fd`, so everything a build
/// wrote is on disk before the build is published.
int a0_syncfs(int fd);
#endif
