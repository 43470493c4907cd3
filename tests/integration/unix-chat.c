/* SPDX-License-Identifier: MIT */
/*
 * unix-chat PATH [TEXT] [MS]: connect to a Unix stream socket (retrying for
 * 5 s), send TEXT and a newline if given, then copy whatever arrives to
 * stdout for MS milliseconds (default 1000).  Test helper for the console.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = -1, ms = argc > 3 ? atoi(argv[3]) : 1000, i;
    char buf[4096];

    if (argc < 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "usage: unix-chat PATH [TEXT] [MS]\n");
        return 2;
    }
    strcpy(sa.sun_path, argv[1]);
    for (i = 0; i < 250; i++) {
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            break;
        close(fd);
        fd = -1;
        usleep(20000);
    }
    if (fd < 0) {
        perror("unix-chat: connect");
        return 1;
    }
    if (argc > 2 && argv[2][0]) {
        if (write(fd, argv[2], strlen(argv[2])) < 0 || write(fd, "\n", 1) < 0)
            return 1;
    }
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t n;
        if (poll(&p, 1, ms) <= 0)
            break;
        n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        fwrite(buf, 1, (size_t)n, stdout);
        fflush(stdout);
    }
    close(fd);
    return 0;
}
