/* Preloaded into turnout's master by scripts/bench.sh --instructions, so that
 * its workers run under valgrind. The master starts each worker with
 * execv("/proc/self/exe", ...), which valgrind's --trace-children cannot
 * follow (it resolves the link to its own binary), and the worker's command
 * cannot be started by hand (it needs the master's control channel). Here
 * that execv becomes: valgrind OPTIONS... TURNOUT ARGS..., where OPTIONS
 * come from TURNOUT_BENCH_VALGRIND, separated by spaces. Everything runs
 * between fork and exec: only stack memory, no allocation. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char** environ;

enum { max_words = 64, max_options_length = 4096 };

int execv(const char* path, char* const argv[]) {
    const char* options = getenv("TURNOUT_BENCH_VALGRIND");
    if (options == NULL || strcmp(path, "/proc/self/exe") != 0 || strlen(options) >= max_options_length) {
        int (*real_execv)(const char*, char* const[]) = dlsym(RTLD_NEXT, "execv");
        return real_execv(path, argv);
    }
    char binary[PATH_MAX];
    const ssize_t length = readlink("/proc/self/exe", binary, sizeof binary - 1);
    if (length < 0) {
        return -1;
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
    return execve(command[0], command, environ);
}
