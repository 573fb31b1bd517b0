// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpu-ioctl-fuzz: a guest-side fuzzer of the accel driver's uAPI. Several
 * worker processes, each with several threads, issue random (mostly
 * well-formed, partly garbage) ioctls on /dev/accel nodes: buffers created,
 * mapped, written with random programs, closed; submits with random queues,
 * buffer lists, syncobjs and programs (random words, valid opcodes with
 * random fields, endless loops, faulting DMA); waits; syncobjs; raw ioctl
 * numbers with random payloads; an fd closed under the other threads. The
 * parent SIGKILLs random workers mid-job and starts new ones.
 *
 * A finding is: a worker that does not die within 10 s of SIGKILL (an
 * uninterruptible sleep in the driver), a kernel report in /dev/kmsg during
 * the run (BUG, WARNING, Oops, KASAN, UBSAN, lockdep, hung task, kmemleak),
 * or a device that no longer runs a plain copy job correctly afterwards.
 * Prints a TAP stream (3 tests) and "fuzz: ioctl: N execs, K findings".
 *
 * usage: xpu-ioctl-fuzz [--seconds N] [--procs P] [--threads T] [--seed S]
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <xf86drm.h>

#include "../kselftest/xpu_test_util.h"

#define MAX_BOS		32
#define MAX_SYNCS	8
#define MAX_PROCS	16

struct shared {
	atomic_ullong execs;
};

struct worker {
	int fd;
	uint64_t seed;
	pthread_mutex_t lock;
	struct xpu_bo bos[MAX_BOS];	/* handle 0 = free slot */
	uint32_t syncs[MAX_SYNCS];
	int64_t jobs[16];
	struct shared *sh;
};

static uint64_t rnd(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* fills p with n instructions of one of several kinds; returns bytes */
static uint32_t random_prog(uint64_t *s, uint64_t *p, uint32_t n, uint64_t arg_va)
{
	uint32_t kind = rnd(s) % 5, i;

	switch (kind) {
	case 0:		/* garbage */
		for (i = 0; i < n; i++)
			p[i] = rnd(s);
		return n * 8;
	case 1:		/* endless loop: the hang check / max_job_ms must end it */
		p[0] = xpu_li(3, 0);
		p[1] = xpu_addi(3, 3, 1);
		p[2] = xpu_br(XPU_BR_LTU, 4, 3, -1);
		p[3] = xpu_halt();
		return 32;
	case 2:		/* a copy of random addresses and length */
		p[0] = xpu_li(3, (int32_t)rnd(s));
		p[1] = xpu_li(4, (int32_t)(arg_va + (rnd(s) % 8192)));
		p[2] = xpu_li(5, (int32_t)(rnd(s) % (1 << 20)));
		p[3] = xpu_dma(XPU_DMA_VA_TO_VA, 4, 3, 5);
		p[4] = xpu_halt();
		return 40;
	default:	/* valid opcodes, random fields */
		for (i = 0; i + 1 < n; i++)
			p[i] = (rnd(s) & ~((uint64_t)0xff << XPU_F_OP_SHIFT)) |
			       ((uint64_t)xpu_isa_nth_opcode(rnd(s)) << XPU_F_OP_SHIFT);
		p[n - 1] = xpu_halt();
		return n * 8;
	}
}

static void count(struct worker *w)
{
	atomic_fetch_add(&w->sh->execs, 1);
}

static void op_bo_create(struct worker *w, uint64_t *s)
{
	static const uint64_t sizes[] = { 4096, 8192, 65536, 1 << 20, 0, 1, ~0ull };
	uint32_t slot = rnd(s) % MAX_BOS, flags;
	struct xpu_bo bo;

	flags = rnd(s) % 8 ? (rnd(s) % 2 ? DRM_XPU_BO_HBM : DRM_XPU_BO_HOST) : (uint32_t)rnd(s);
	if (rnd(s) % 4 == 0)
		flags |= DRM_XPU_BO_DEVICE_RO;
	count(w);
	if (xpu_bo_new(w->fd, sizes[rnd(s) % 7], flags, &bo))
		return;
	pthread_mutex_lock(&w->lock);
	if (w->bos[slot].handle) {
		struct xpu_bo old = w->bos[slot];

		w->bos[slot] = bo;
		pthread_mutex_unlock(&w->lock);
		xpu_bo_free(w->fd, &old);
		return;
	}
	w->bos[slot] = bo;
	pthread_mutex_unlock(&w->lock);
}

static void op_submit(struct worker *w, uint64_t *s)
{
	uint32_t handles[6], nb = rnd(s) % 6, i, len = 0;
	struct drm_xpu_sync in = { 0 };
	struct drm_xpu_submit sub = { 0 };
	struct xpu_bo prog = { 0 }, arg = { 0 };

	pthread_mutex_lock(&w->lock);
	prog = w->bos[rnd(s) % MAX_BOS];
	arg = w->bos[rnd(s) % MAX_BOS];
	for (i = 0; i < nb; i++)
		handles[i] = rnd(s) % 8 ? w->bos[rnd(s) % MAX_BOS].handle : (uint32_t)rnd(s);
	if (prog.handle && prog.map && (prog.size >= 4096))
		len = random_prog(s, prog.map, 1 + rnd(s) % 16, arg.va);
	pthread_mutex_unlock(&w->lock);
	sub.prog_va = rnd(s) % 16 ? prog.va : rnd(s);
	sub.prog_len = rnd(s) % 16 ? len : (uint32_t)rnd(s);
	sub.args_va = arg.va;
	sub.args_len = rnd(s) % 256;
	sub.bo_handles = (uintptr_t)handles;
	sub.bo_count = rnd(s) % 16 ? nb : (uint32_t)rnd(s);
	sub.queue = rnd(s) % 8 ? rnd(s) % 3 : (uint32_t)rnd(s);
	if (rnd(s) % 4 == 0) {
		in.handle = w->syncs[rnd(s) % MAX_SYNCS];
		sub.in_syncs = (uintptr_t)&in;
		sub.in_sync_count = 1;
	}
	if (rnd(s) % 3 == 0)
		sub.out_syncobj = w->syncs[rnd(s) % MAX_SYNCS];
	if (rnd(s) % 32 == 0)
		sub.flags = (uint32_t)rnd(s);
	count(w);
	if (!ioctl(w->fd, DRM_IOCTL_XPU_SUBMIT, &sub))
		w->jobs[rnd(s) % 16] = (int64_t)sub.job_id;
}

static void op_wait(struct worker *w, uint64_t *s)
{
	struct drm_xpu_wait_job j = {
		.job_id = rnd(s) % 4 ? (uint64_t)w->jobs[rnd(s) % 16] : rnd(s),
		.timeout_ns = xpu_now_ns() + (int64_t)(rnd(s) % 50) * 1000000,
	};
	struct drm_xpu_bo_wait b = {
		.handle = w->bos[rnd(s) % MAX_BOS].handle,
		.timeout_ns = xpu_now_ns() + (int64_t)(rnd(s) % 20) * 1000000,
	};

	count(w);
	if (rnd(s) % 2)
		ioctl(w->fd, DRM_IOCTL_XPU_WAIT_JOB, &j);
	else
		ioctl(w->fd, DRM_IOCTL_XPU_BO_WAIT, &b);
}

static void op_misc(struct worker *w, uint64_t *s)
{
	uint8_t buf[256];
	uint32_t i, slot = rnd(s) % MAX_BOS;

	count(w);
	switch (rnd(s) % 6) {
	case 0: {
		struct drm_xpu_get_param p = { .param = rnd(s) % 32, .pad = rnd(s) % 8 == 0 };

		ioctl(w->fd, DRM_IOCTL_XPU_GET_PARAM, &p);
		break;
	}
	case 1: {
		struct drm_xpu_bo_info bi = { .handle = rnd(s) % 64 };

		ioctl(w->fd, DRM_IOCTL_XPU_BO_INFO, &bi);
		break;
	}
	case 2: {	/* close a buffer, possibly while a job uses it */
		struct xpu_bo bo;

		pthread_mutex_lock(&w->lock);
		bo = w->bos[slot];
		memset(&w->bos[slot], 0, sizeof(bo));
		pthread_mutex_unlock(&w->lock);
		if (bo.handle)
			xpu_bo_free(w->fd, &bo);
		break;
	}
	case 3:		/* syncobjs */
		i = rnd(s) % MAX_SYNCS;
		if (w->syncs[i] && rnd(s) % 2) {
			drmSyncobjDestroy(w->fd, w->syncs[i]);
			w->syncs[i] = 0;
		} else if (!w->syncs[i]) {
			drmSyncobjCreate(w->fd, rnd(s) % 2 ? DRM_SYNCOBJ_CREATE_SIGNALED : 0,
					 &w->syncs[i]);
		}
		break;
	default:	/* a raw driver ioctl number with a random payload */
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)rnd(s);
		ioctl(w->fd, DRM_IOWR(DRM_COMMAND_BASE + rnd(s) % 12, uint8_t[8 << (rnd(s) % 5)]),
		      buf);
		break;
	}
}

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	uint64_t s = w->seed ^ (uint64_t)pthread_self();

	for (;;) {
		switch (rnd(&s) % 8) {
		case 0: case 1: op_bo_create(w, &s); break;
		case 2: case 3: case 4: op_submit(w, &s); break;
		case 5: op_wait(w, &s); break;
		default: op_misc(w, &s); break;
		}
	}
	return NULL;
}

static void worker_main(struct shared *sh, uint64_t seed, int threads)
{
	static struct worker w;
	pthread_t t;
	int i;

	w.sh = sh;
	w.seed = seed;
	pthread_mutex_init(&w.lock, NULL);
	w.fd = xpu_open_nth((int)(seed % 2), NULL);
	if (w.fd < 0)
		w.fd = xpu_open_nth(0, NULL);
	if (w.fd < 0)
		_exit(3);
	for (i = 1; i < threads; i++)
		pthread_create(&t, NULL, thread_main, &w);
	/* this thread: work for a while, then close the fd under the others,
	 * or exit with jobs in flight */
	usleep(100000 + seed % 900000);
	if (seed % 3 == 0)
		close(w.fd);
	usleep(50000);
	_exit(0);
}

/* kernel reports since the fuzzer started: /dev/kmsg opened at the start
 * at its end, read non-blocking at the end */
static int kmsg_findings(int kfd)
{
	static const char *bad[] = { "BUG:", "WARNING:", "Oops", "KASAN", "UBSAN",
				     "possible circular locking", "blocked for more than",
				     "kmemleak", "general protection", "list_add corruption",
				     "refcount_t:", "DMA-API" };
	char rec[2048];
	int found = 0;
	ssize_t n;

	if (kfd < 0)
		return 0;
	while ((n = read(kfd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (strstr(rec, bad[i])) {
				printf("# kernel: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				found++;
				break;
			}
	}
	return found;
}

static int pid_state_d(pid_t pid, char *stack, size_t len)
{
	char path[64], buf[512];
	FILE *f;
	int d = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && strchr(buf, ')'))
			d = strchr(buf, ')')[2] == 'D';
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	stack[0] = '\0';
	f = fopen(path, "r");
	if (f) {
		size_t n = fread(stack, 1, len - 1, f);

		stack[n] = '\0';
		fclose(f);
	}
	return d;
}

/* SIGKILL pid and reap it; 1 if it did not die within 10 s */
static int kill_and_reap(pid_t pid)
{
	int64_t deadline = xpu_now_ns() + 10000000000ll;
	char stack[2048];

	kill(pid, SIGKILL);
	while (xpu_now_ns() < deadline) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return 0;
		usleep(10000);
	}
	pid_state_d(pid, stack, sizeof(stack));
	printf("# worker %d survived SIGKILL for 10 s; its kernel stack:\n%s", pid, stack);
	return 1;
}

static int copy_job_works(void)
{
	struct xpu_bo prog, args, src, dst;
	struct drm_xpu_wait_job w;
	int fd = xpu_open_nth(0, NULL), ok = 0;
	uint32_t len;
	int64_t id;

	if (fd < 0 || xpu_copy_bufs_new(fd, &prog, &args, &src, &dst, &len))
		return 0;
	for (int i = 0; i < 65536; i++)
		((uint8_t *)src.map)[i] = (uint8_t)(i * 7 + 3);
	id = xpu_copy_submit(fd, &prog, &args, &src, &dst, len, 65536);
	if (id >= 0 && !xpu_wait(fd, (uint64_t)id, 30000, &w) && !w.status)
		ok = !memcmp(src.map, dst.map, 65536);
	xpu_copy_bufs_free(fd, &prog, &args, &src, &dst);
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	int seconds = 10, procs = 4, threads = 4, hangs = 0, reports, works, i;
	uint64_t seed = (uint64_t)time(NULL), s;
	pid_t pids[MAX_PROCS] = { 0 };
	struct shared *sh;
	char old_max[32] = "0";
	int64_t end;
	FILE *f;
	int kfd;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			seconds = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--procs"))
			procs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--threads"))
			threads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
		else
			break;
	}
	if (i < argc || seconds < 1 || procs < 1 || procs > MAX_PROCS || threads < 1) {
		fprintf(stderr, "usage: xpu-ioctl-fuzz [--seconds N] [--procs 1..%d] "
			"[--threads T] [--seed S]\n", MAX_PROCS);
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	printf("TAP version 13\n1..3\n# seed %llu, %d s, %d processes x %d threads\n",
	       (unsigned long long)seed, seconds, procs, threads);
	fflush(stdout);
	/* endless jobs end after 2 s while fuzzing (the module parameter) */
	f = fopen("/sys/module/xpu/parameters/max_job_ms", "r+");
	if (f) {
		if (!fgets(old_max, sizeof(old_max), f))
			strcpy(old_max, "0");
		rewind(f);
		fputs("2000", f);
		fclose(f);
	}
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);
	s = seed;
	end = xpu_now_ns() + (int64_t)seconds * 1000000000ll;
	while (xpu_now_ns() < end) {
		for (i = 0; i < procs; i++) {
			int st;

			if (pids[i] && waitpid(pids[i], &st, WNOHANG) == pids[i])
				pids[i] = 0;
			if (pids[i] && rnd(&s) % 4 == 0) {
				hangs += kill_and_reap(pids[i]);
				pids[i] = 0;
			}
			if (!pids[i]) {
				uint64_t ws = rnd(&s);

				fflush(stdout);
				pids[i] = fork();
				if (pids[i] == 0)
					worker_main(sh, ws, threads);
			}
		}
		usleep(50000 + rnd(&s) % 200000);
	}
	for (i = 0; i < procs; i++)
		if (pids[i] > 0)
			hangs += kill_and_reap(pids[i]);
	f = fopen("/sys/module/xpu/parameters/max_job_ms", "w");
	if (f) {
		fputs(old_max, f);
		fclose(f);
	}
	works = copy_job_works();
	reports = kmsg_findings(kfd);
	printf("%s 1 ioctl_fuzz.no_process_hangs # %d survived SIGKILL\n", hangs ? "not ok" : "ok",
	       hangs);
	printf("%s 2 ioctl_fuzz.no_kernel_reports # %d reports\n", reports ? "not ok" : "ok",
	       reports);
	printf("%s 3 ioctl_fuzz.device_works_after\n", works ? "ok" : "not ok");
	printf("fuzz: ioctl: %llu execs, %d findings\n",
	       (unsigned long long)atomic_load(&sh->execs), hangs + reports + !works);
	return hangs || reports || !works;
}
