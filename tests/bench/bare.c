/* The physical limit of this stack: a libfcgi responder with N threads that answers every
 * request with the same 2 KB page and does nothing else. Used by tests/bench/run. */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int listen_fd;
static char page[2048];

static void *
serve(void *arg)
{
	(void)arg;
	FCGX_Request r;
	FCGX_InitRequest(&r, listen_fd, 0);
	/* libfcgi's own printf knows no %zu: build the head once with snprintf. */
	char head[128];
	int n = snprintf(head, sizeof(head),
			 "Status: 200 OK\r\nContent-Type: text/html\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 sizeof(page));
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(head, n, r.out);
		FCGX_PutStr(page, sizeof(page), r.out);
		FCGX_Finish_r(&r);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bare SOCKET [THREADS]\n");
		return 2;
	}
	int n = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 4;
	memset(page, 'x', sizeof(page));
	FCGX_Init();
	unlink(argv[1]);
	listen_fd = FCGX_OpenSocket(argv[1], 128);
	if (listen_fd < 0)
		return 1;
	chmod(argv[1], 0666);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_t t[64];
	for (int i = 0; i < n && i < 64; i++)
		pthread_create(&t[i], NULL, serve, NULL);
	int sig;
	sigwait(&set, &sig);
	return 0;
}
