/* Preloaded into turnout's master by scripts/bench.sh --instructions, so that
 * its workers run under valgrind. The master starts each worker with
 * posix_spawn("/proc/self/exe", ...), which valgrind's --trace-children
 * cannot follow (it resolves the link to its own binary), and the worker's
 * command cannot be started by hand (it needs the master's control
 * channel). Here that spawn becomes: valgrind OPTIONS... TURNOUT ARGS...,
 * where OPTIONS come from TURNOUT_BENCH_VALGRIND, separated by spaces. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { max_words = 64, max_options_length = 4096 };

typedef int spawn_function(pid_t*, const char*, const posix_spawn_file_actions_t*, const posix_spawnattr_t*,
                           char* const[], char* const[]);

int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                const posix_spawnattr_t* attributes, char* const argv[], char* const envp[]) {
    spawn_function* real_spawn = (spawn_function*)dlsym(RTLD_NEXT, "posix_spawn");
    const char* options = getenv("TURNOUT_BENCH_VALGRIND");
    if (options == NULL || strcmp(path, "/proc/self/exe") != 0 || strlen(options) >= max_options_length) {
        return real_spawn(pid, path, actions, attributes, argv, envp);
    }
    char binary[PATH_MAX];
    const ssize_t length = readlink("/proc/self/exe", binary, sizeof binary - 1);
    if (length < 0) {
        return errno;
    }
    binary[length] = '\0';
    char words[max_options_length];
    strcpy(words, options);
    char* command[max_words + 2];
    size_t count = 0;
    for (char* word = strtok(words, " "); word != NULL && count < max_words; word = strtok(NULL, " ")) {
        command[count++] = word;
    }
    command[count++] = binary;
    for (size_t i = 1; argv[i] != NULL && count < max_words + 1; ++i) {
        command[count++] = argv[i];
    }
    command[count] = NULL;
    return real_spawn(pid, command[0], actions, attributes, command, envp);
}
