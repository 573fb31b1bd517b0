// SPDX-License-Identifier: MIT
/*
 * libxpu: the processes using a device (xpu_device_get_processes()), for
 * xpu-smi, the profiler and Python. The driver prints each open file's usage
 * in /proc/PID/fdinfo/FD (driver/xpu_fdinfo.c, the keys of
 * Documentation/gpu/drm-usage-stats.rst): a process uses the device if one of
 * its /proc/PID/fd entries is the device's character node. Files are told
 * apart by drm-client-id, so a file shared by several processes is counted
 * once (for the lowest pid: /proc is read in ascending pid order).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

struct proc_scan {
	struct xpu_process_usage *v;	/* found processes, in pid order */
	size_t n, cap;
	uint64_t *clients;		/* drm-client-id values seen */
	size_t nclients, cap_clients;
};

/* Value of "key:" in an fdinfo text, a KiB/MiB/GiB unit applied; 0 if absent. */
static uint64_t fdinfo_value(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		unsigned long long v;
		char unit[8] = "";
		int n;

		if (strncmp(p, key, klen) || p[klen] != ':')
			continue;
		n = sscanf(p + klen + 1, " %llu %7[A-Za-z]", &v, unit);
		if (n < 1)
			return 0;
		if (n == 2 && strcmp(unit, "KiB") == 0)
			v <<= 10;
		else if (n == 2 && strcmp(unit, "MiB") == 0)
			v <<= 20;
		else if (n == 2 && strcmp(unit, "GiB") == 0)
			v <<= 30;
		return v;
	}
	return 0;
}

static int has_key(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return 1;
	return 0;
}

/* 1 if the client id was seen before (else it is recorded), -1 on ENOMEM. */
static int client_seen(struct proc_scan *s, uint64_t id)
{
	for (size_t i = 0; i < s->nclients; i++)
		if (s->clients[i] == id)
			return 1;
	if (s->nclients == s->cap_clients) {
		size_t cap = s->cap_clients ? 2 * s->cap_clients : 16;
		uint64_t *c = realloc(s->clients, cap * sizeof(*c));

		if (!c)
			return -1;
		s->clients = c;
		s->cap_clients = cap;
	}
	s->clients[s->nclients++] = id;
	return 0;
}

/* Add one file's usage to the process's entry (created on its first file). */
static xpu_status add_file(struct proc_scan *s, int pid, const char *text)
{
	struct xpu_process_usage *e;

	if (has_key(text, "drm-client-id")) {
		int seen = client_seen(s, fdinfo_value(text, "drm-client-id"));

		if (seen < 0)
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "process list: out of memory");
		if (seen)
			return XPU_SUCCESS;
	}
	if (!s->n || s->v[s->n - 1].pid != pid) {
		char path[64];
		FILE *f;

		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 16;
			struct xpu_process_usage *v = realloc(s->v, cap * sizeof(*v));

			if (!v)
				return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY,
						     "process list: out of memory");
			s->v = v;
			s->cap = cap;
		}
		e = &s->v[s->n++];
		memset(e, 0, sizeof(*e));
		e->size = sizeof(*e);
		e->pid = pid;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "r");
		if (f) {
			if (fgets(e->name, sizeof(e->name), f))
				e->name[strcspn(e->name, "\n")] = '\0';
			fclose(f);
		}
	}
	e = &s->v[s->n - 1];
	e->files++;
	e->engine_ns += fdinfo_value(text, "drm-engine-xpu");
	e->cycles += fdinfo_value(text, "drm-cycles-xpu");
	e->hbm_bytes += fdinfo_value(text, "drm-total-hbm");
	e->host_bytes += fdinfo_value(text, "drm-total-memory");
	return XPU_SUCCESS;
}

/* The files of process pid that are the node rdev; unreadable ones are skipped. */
static xpu_status scan_pid(struct proc_scan *s, int pid, dev_t rdev)
{
	char dir[64];
	struct dirent *d;
	xpu_status st = XPU_SUCCESS;
	DIR *fds;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	fds = opendir(dir);
	if (!fds)		/* another user's process, or it exited */
		return XPU_SUCCESS;
	while (!st && (d = readdir(fds))) {
		char path[384], text[4096];
		struct stat sb;
		size_t len;
		FILE *f;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (stat(path, &sb) || !S_ISCHR(sb.st_mode) || sb.st_rdev != rdev)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[len] = '\0';
		if (has_key(text, "drm-driver"))
			st = add_file(s, pid, text);
	}
	closedir(fds);
	return st;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The DRM backend's process list: every process's files on dev's node. */
static xpu_status scan_processes(xpu_device *dev, struct proc_scan *s)
{
	struct stat sb;
	struct dirent *d;
	int *pids = NULL;
	size_t npids = 0, cap = 0;
	xpu_status st = XPU_SUCCESS;
	DIR *proc;

	if (fstat(dev->fd, &sb))
		return xpu_errno_error(errno, "fstat of the device's file");
	proc = opendir("/proc");
	if (!proc)
		return xpu_file_error(errno, "process list: opendir", "/proc");
	while ((d = readdir(proc))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (npids == cap) {
			int *p = realloc(pids, (cap = cap ? 2 * cap : 256) * sizeof(*p));

			if (!p) {
				closedir(proc);
				free(pids);
				return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY,
						     "process list: out of memory");
			}
			pids = p;
		}
		pids[npids++] = (int)pid;
	}
	closedir(proc);
	qsort(pids, npids, sizeof(*pids), cmp_int);
	for (size_t i = 0; i < npids && !st; i++)
		st = scan_pid(s, pids[i], sb.st_rdev);
	free(pids);
	return st;
}

XPU_EXPORT xpu_status xpu_device_get_processes(xpu_device *dev, struct xpu_process_usage *procs,
					       uint32_t max, uint32_t *count)
{
	struct proc_scan s = { 0 };
	uint32_t stride = 0;
	xpu_status st;

	if (!dev || !count)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (max && !procs)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "procs is NULL but max is %u", max);
	if (max) {
		stride = procs[0].size;
		st = xpu_check_size(stride, XPU_PROCESS_USAGE_SIZE_V1, "struct xpu_process_usage");
		if (st)
			return st;
	}
	if (dev->fd < 0)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "process list: the %s device is private to this process "
				     "(host backend); the list comes from the driver's fdinfo",
				     dev->props.node);
	st = scan_processes(dev, &s);
	if (!st) {
		for (size_t i = 0; i < s.n && i < max; i++) {
			struct xpu_process_usage *e = (void *)((char *)procs + i * stride);

			s.v[i].size = stride;
			xpu_copy_sized(e, stride, &s.v[i], sizeof(s.v[i]));
		}
		*count = (uint32_t)s.n;
	}
	free(s.v);
	free(s.clients);
	return st ? st : xpu_ok(XPU_SUCCESS);
}
