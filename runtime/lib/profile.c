// SPDX-License-Identifier: MIT
/*
 * libxpu: the job profiler (XPU_PROFILE=FILE).
 *
 * When XPU_PROFILE is set as a device opens, the device gets a number (1, 2,
 * ... in open order) and every job its streams retire is recorded here: host
 * submit time and the time libxpu observed completion (CLOCK_MONOTONIC; the
 * device's own start time is not reported to the host, so a job's wall box
 * spans submit to observed completion), queue, name, status, modeled cycles
 * and, where the backend reports them (the host backend; the DRM backend with
 * uAPI 1.3 on a 1.1 device, from the completion record's UNIT_TIMES half),
 * the job's DMA, MXU and VPU busy cycles. The records of all devices live in one process-wide
 * list under one mutex; the whole trace is (re)written to FILE, through a
 * temporary file and rename, when a profiled device closes and at exit.
 * "%p" in FILE is replaced by the process id.
 *
 * The file is Chrome/Perfetto JSON trace events: for device N, process N
 * ("xpu device N (host clock)") has a thread per hardware queue with an "X"
 * event per job; process 1000 + N ("xpu device N (modeled)") has, per queue,
 * the jobs laid end to end in modeled time (cycles / clock_mhz us) and, when
 * known, one track per unit with each job's busy time of that unit drawn
 * from the job's modeled start (busy time, not the placement of each
 * operation: the engine reports per-job totals only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct prof_dev {
	char node[XPU_NAME_MAX];
	uint32_t backend, clock_mhz, num_queues;
};

struct prof_rec {
	int dev;			/* 1-based */
	uint32_t queue, status;
	int has_units;
	int64_t submit_ns, done_ns;
	uint64_t cycles, dma, mxu, vpu;
	char what[96];
};

static pthread_mutex_t prof_lock = PTHREAD_MUTEX_INITIALIZER;
static struct prof_dev *prof_devs;
static int prof_ndevs;
static struct prof_rec *prof_recs;
static size_t prof_n, prof_cap;
static int64_t prof_t0;
static int prof_dirty, prof_atexit;
static char prof_path[4096];

static void prof_write_locked(void);

static void prof_exit(void)
{
	pthread_mutex_lock(&prof_lock);
	if (prof_dirty)
		prof_write_locked();
	pthread_mutex_unlock(&prof_lock);
}

/* FILE with %p expanded; 0 if unset or too long */
static int prof_path_from_env(char *out, size_t n)
{
	const char *v = getenv("XPU_PROFILE");
	size_t o = 0;

	if (!v || !*v)
		return 0;
	for (; *v; v++) {
		char pid[24];
		const char *add = pid;

		if (v[0] == '%' && v[1] == 'p') {
			snprintf(pid, sizeof(pid), "%ld", (long)getpid());
			v++;
		} else {
			pid[0] = *v;
			pid[1] = 0;
		}
		if (o + strlen(add) + 1 > n)
			return 0;
		memcpy(out + o, add, strlen(add));
		o += strlen(add);
	}
	out[o] = 0;
	return 1;
}

void xpu_profile_open(xpu_device *dev)
{
	char path[sizeof(prof_path)];
	struct prof_dev *d;

	if (!prof_path_from_env(path, sizeof(path))) {
		if (getenv("XPU_PROFILE") && *getenv("XPU_PROFILE"))
			fprintf(stderr, "libxpu: XPU_PROFILE: path too long, not profiling\n");
		return;
	}
	pthread_mutex_lock(&prof_lock);
	d = realloc(prof_devs, (prof_ndevs + 1) * sizeof(*d));
	if (!d) {
		pthread_mutex_unlock(&prof_lock);
		fprintf(stderr, "libxpu: XPU_PROFILE: out of memory, not profiling\n");
		return;
	}
	prof_devs = d;
	d += prof_ndevs++;
	snprintf(d->node, sizeof(d->node), "%s", dev->props.node);
	d->backend = dev->props.backend;
	d->clock_mhz = dev->props.clock_mhz ? dev->props.clock_mhz : 1;
	d->num_queues = dev->props.num_queues;
	dev->prof_id = prof_ndevs;
	if (prof_ndevs == 1) {
		prof_t0 = xpu_now_ns();
		memcpy(prof_path, path, sizeof(prof_path));
	}
	if (!prof_atexit) {
		prof_atexit = 1;
		atexit(prof_exit);
	}
	prof_dirty = 1;
	pthread_mutex_unlock(&prof_lock);
}

void xpu_profile_job(xpu_device *dev, uint32_t queue, const struct xpu_entry *e,
		     const struct xpu_job_result *r)
{
	int64_t now = xpu_now_ns();
	struct prof_rec *p;

	pthread_mutex_lock(&prof_lock);
	if (prof_n == prof_cap) {
		size_t cap = prof_cap ? prof_cap * 2 : 256;

		p = realloc(prof_recs, cap * sizeof(*p));
		if (!p) {
			pthread_mutex_unlock(&prof_lock);
			return;		/* the trace lacks this job; the job is fine */
		}
		prof_recs = p;
		prof_cap = cap;
	}
	p = &prof_recs[prof_n++];
	p->dev = dev->prof_id;
	p->queue = queue;
	p->status = r->status;
	p->has_units = r->has_units;
	p->submit_ns = e->submit_ns ? e->submit_ns : now;
	p->done_ns = now;
	p->cycles = r->cycles;
	p->dma = r->dma_busy;
	p->mxu = r->mxu_busy;
	p->vpu = r->vpu_busy;
	memcpy(p->what, e->what, sizeof(p->what));
	p->what[sizeof(p->what) - 1] = 0;
	prof_dirty = 1;
	pthread_mutex_unlock(&prof_lock);
}

void xpu_profile_close(xpu_device *dev)
{
	if (!dev->prof_id)
		return;
	pthread_mutex_lock(&prof_lock);
	prof_write_locked();
	pthread_mutex_unlock(&prof_lock);
}

/* ---- writing ---------------------------------------------------------------- */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void meta(FILE *f, int *first, const char *what, int pid, int tid, const char *name)
{
	fprintf(f, "%s\n{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":",
		*first ? "" : ",", what, pid, tid);
	json_str(f, name);
	fputs("}}", f);
	*first = 0;
}

static void box(FILE *f, int *first, const char *name, int pid, int tid, double ts, double dur)
{
	fprintf(f, "%s\n{\"ph\":\"X\",\"name\":", *first ? "" : ",");
	json_str(f, name);
	fprintf(f, ",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f", pid, tid, ts, dur);
	*first = 0;
}

static const char *const unit_names[3] = { "DMA", "MXU", "VPU" };

static int prof_emit(FILE *f)
{
	int first = 1;

	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", f);
	for (int d = 1; d <= prof_ndevs; d++) {
		const struct prof_dev *pd = &prof_devs[d - 1];
		double *mt = calloc(pd->num_queues ? pd->num_queues : 1, sizeof(double));
		int units = 0;
		char name[160];

		if (!mt)
			return -1;
		for (size_t i = 0; i < prof_n; i++)
			if (prof_recs[i].dev == d && prof_recs[i].has_units)
				units = 1;
		snprintf(name, sizeof(name), "xpu device %d (%s, host clock)", d, pd->node);
		meta(f, &first, "process_name", d, 0, name);
		snprintf(name, sizeof(name), "xpu device %d (modeled, %u MHz)", d, pd->clock_mhz);
		meta(f, &first, "process_name", 1000 + d, 0, name);
		for (uint32_t q = 0; q < pd->num_queues; q++) {
			snprintf(name, sizeof(name), "queue %u", q);
			meta(f, &first, "thread_name", d, (int)q, name);
			meta(f, &first, "thread_name", 1000 + d, (int)q * 4, name);
			for (int u = 0; units && u < 3; u++) {
				snprintf(name, sizeof(name), "queue %u %s", q, unit_names[u]);
				meta(f, &first, "thread_name", 1000 + d, (int)q * 4 + 1 + u, name);
			}
		}
		for (size_t i = 0; i < prof_n; i++) {
			const struct prof_rec *r = &prof_recs[i];
			const char *stn = xpu_job_status_name(r->status);
			uint64_t busy[3] = { r->dma, r->mxu, r->vpu };
			double dur = (double)r->cycles / pd->clock_mhz, start;

			if (r->dev != d || r->queue >= pd->num_queues)
				continue;
			start = mt[r->queue];
			mt[r->queue] += dur;
			box(f, &first, r->what, d, (int)r->queue, (r->submit_ns - prof_t0) / 1e3,
			    (r->done_ns - r->submit_ns) / 1e3);
			fprintf(f, ",\"args\":{\"queue\":%u,\"status\":\"%s\",\"cycles\":%llu,"
				"\"modeled_us\":%.3f}}", r->queue, stn, (unsigned long long)r->cycles, dur);
			box(f, &first, r->what, 1000 + d, (int)r->queue * 4, start, dur);
			fprintf(f, ",\"args\":{\"status\":\"%s\",\"cycles\":%llu}}", stn,
				(unsigned long long)r->cycles);
			for (int u = 0; r->has_units && u < 3; u++) {
				if (!busy[u])
					continue;
				box(f, &first, r->what, 1000 + d, (int)r->queue * 4 + 1 + u, start,
				    (double)busy[u] / pd->clock_mhz);
				fprintf(f, ",\"args\":{\"busy_cycles\":%llu}}",
					(unsigned long long)busy[u]);
			}
		}
		free(mt);
	}
	fputs("\n],\n\"xpuDevices\":[", f);
	for (int d = 1; d <= prof_ndevs; d++)
		fprintf(f, "%s{\"pid\":%d,\"modeled_pid\":%d,\"clock_mhz\":%u,\"num_queues\":%u}",
			d > 1 ? "," : "", d, 1000 + d, prof_devs[d - 1].clock_mhz,
			prof_devs[d - 1].num_queues);
	fputs("]}\n", f);
	return 0;
}

static void prof_write_locked(void)
{
	char tmp[sizeof(prof_path) + 32];
	FILE *f;
	int bad;

	if (!prof_ndevs)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", prof_path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "libxpu: XPU_PROFILE: cannot write %s: %m\n", tmp);
		return;
	}
	bad = prof_emit(f);
	bad |= ferror(f);
	bad |= fclose(f);
	if (bad || rename(tmp, prof_path)) {
		fprintf(stderr, "libxpu: XPU_PROFILE: cannot write %s\n", prof_path);
		unlink(tmp);
		return;
	}
	prof_dirty = 0;
}
