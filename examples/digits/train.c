// SPDX-License-Identifier: MIT
/*
 * Build-time trainer of the digits example: reads sklearn's digits.csv (1797
 * rows of 64 pixels 0..16 and a label), makes a deterministic 80/20 split,
 * trains a 64-32-10 ReLU MLP with softmax cross-entropy by minibatch SGD
 * (fixed seed, plain C: the same model on every run), quantises it to int8
 * (symmetric per-tensor weights, int32 biases, the hidden activation scale
 * calibrated on the training set) and writes model.bin and test.bin.
 *
 * usage: digits-train digits.csv OUTDIR
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"

#define MAXN 2000
#define EPOCHS 150
#define BATCH 16
#define LR 0.1f

static float X[MAXN][DIGITS_IN];
static uint8_t Y[MAXN], XI[MAXN][DIGITS_IN];
static float W1[DIGITS_IN][DIGITS_HIDDEN], B1[DIGITS_HIDDEN];
static float W2[DIGITS_HIDDEN][DIGITS_OUT], B2[DIGITS_OUT];
static uint64_t seed = 20240601;

static double urand(void)
{
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(seed >> 11) / 9007199254740992.0;
}

static void forward(const float *x, float *h, float *o)
{
	for (int j = 0; j < DIGITS_HIDDEN; j++) {
		float s = B1[j];

		for (int i = 0; i < DIGITS_IN; i++)
			s += x[i] * W1[i][j];
		h[j] = s > 0 ? s : 0;
	}
	for (int k = 0; k < DIGITS_OUT; k++) {
		float s = B2[k];

		for (int j = 0; j < DIGITS_HIDDEN; j++)
			s += h[j] * W2[j][k];
		o[k] = s;
	}
}

static int argmax_f(const float *o)
{
	int b = 0;

	for (int k = 1; k < DIGITS_OUT; k++)
		if (o[k] > o[b])
			b = k;
	return b;
}

static int8_t q8(float v, float scale)
{
	long r = lrintf(v / scale);

	return (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
}

int main(int argc, char **argv)
{
	static int idx[MAXN];
	static float gW1[DIGITS_IN][DIGITS_HIDDEN], gB1[DIGITS_HIDDEN];
	static float gW2[DIGITS_HIDDEN][DIGITS_OUT], gB2[DIGITS_OUT];
	struct digits_model m;
	struct digits_test_hdr th;
	char path[4096], line[1024];
	int n = 0, ntrain, ntest, correct;
	float maxw, s_w1, s_w2, s_x = 1.0f / 16, s_h, maxh = 0;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: digits-train digits.csv OUTDIR\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	while (n < MAXN && fgets(line, sizeof(line), f)) {
		char *p = line;
		int v[DIGITS_IN + 1], k;

		for (k = 0; k <= DIGITS_IN; k++) {
			v[k] = (int)strtol(p, &p, 10);
			if (*p == ',')
				p++;
		}
		if (v[DIGITS_IN] < 0 || v[DIGITS_IN] > 9)
			continue;
		for (k = 0; k < DIGITS_IN; k++) {
			XI[n][k] = (uint8_t)v[k];
			X[n][k] = v[k] * s_x;
		}
		Y[n++] = (uint8_t)v[DIGITS_IN];
	}
	fclose(f);
	/* deterministic shuffle, then 80 % train / 20 % held-out test */
	for (int i = 0; i < n; i++)
		idx[i] = i;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)(urand() * (i + 1)), t = idx[i];

		idx[i] = idx[j];
		idx[j] = t;
	}
	ntrain = n * 4 / 5;
	ntest = n - ntrain;

	/* He initialisation */
	for (int i = 0; i < DIGITS_IN; i++)
		for (int j = 0; j < DIGITS_HIDDEN; j++)
			W1[i][j] = (float)((urand() * 2 - 1) * sqrt(6.0 / DIGITS_IN));
	for (int j = 0; j < DIGITS_HIDDEN; j++)
		for (int k = 0; k < DIGITS_OUT; k++)
			W2[j][k] = (float)((urand() * 2 - 1) * sqrt(6.0 / DIGITS_HIDDEN));

	for (int ep = 0; ep < EPOCHS; ep++) {
		float lr = LR * (1.0f - (float)ep / EPOCHS) + 0.005f;

		for (int b0 = 0; b0 < ntrain; b0 += BATCH) {
			int bn = b0 + BATCH <= ntrain ? BATCH : ntrain - b0;

			memset(gW1, 0, sizeof(gW1));
			memset(gB1, 0, sizeof(gB1));
			memset(gW2, 0, sizeof(gW2));
			memset(gB2, 0, sizeof(gB2));
			for (int s = b0; s < b0 + bn; s++) {
				const float *x = X[idx[s]];
				float h[DIGITS_HIDDEN], o[DIGITS_OUT], d[DIGITS_OUT], dh[DIGITS_HIDDEN];
				float mx, sum = 0;

				forward(x, h, o);
				mx = o[argmax_f(o)];
				for (int k = 0; k < DIGITS_OUT; k++)
					sum += d[k] = expf(o[k] - mx);
				for (int k = 0; k < DIGITS_OUT; k++)
					d[k] = d[k] / sum - (k == Y[idx[s]]);
				for (int j = 0; j < DIGITS_HIDDEN; j++) {
					float g = 0;

					for (int k = 0; k < DIGITS_OUT; k++) {
						gW2[j][k] += h[j] * d[k];
						g += W2[j][k] * d[k];
					}
					dh[j] = h[j] > 0 ? g : 0;
				}
				for (int k = 0; k < DIGITS_OUT; k++)
					gB2[k] += d[k];
				for (int i = 0; i < DIGITS_IN; i++)
					for (int j = 0; j < DIGITS_HIDDEN; j++)
						gW1[i][j] += x[i] * dh[j];
				for (int j = 0; j < DIGITS_HIDDEN; j++)
					gB1[j] += dh[j];
			}
			for (int i = 0; i < DIGITS_IN; i++)
				for (int j = 0; j < DIGITS_HIDDEN; j++)
					W1[i][j] -= lr * gW1[i][j] / bn;
			for (int j = 0; j < DIGITS_HIDDEN; j++) {
				B1[j] -= lr * gB1[j] / bn;
				for (int k = 0; k < DIGITS_OUT; k++)
					W2[j][k] -= lr * gW2[j][k] / bn;
			}
			for (int k = 0; k < DIGITS_OUT; k++)
				B2[k] -= lr * gB2[k] / bn;
		}
	}

	/* float accuracy on the held-out split; hidden range on the train split */
	correct = 0;
	for (int s = 0; s < n; s++) {
		float h[DIGITS_HIDDEN], o[DIGITS_OUT];

		forward(X[idx[s]], h, o);
		if (s < ntrain) {
			for (int j = 0; j < DIGITS_HIDDEN; j++)
				maxh = h[j] > maxh ? h[j] : maxh;
		} else {
			correct += argmax_f(o) == Y[idx[s]];
		}
	}

	/* quantise */
	memset(&m, 0, sizeof(m));
	m.magic = DIGITS_MODEL_MAGIC;
	m.in = DIGITS_IN;
	m.hidden = DIGITS_HIDDEN;
	m.out = DIGITS_OUT;
	m.float_accuracy = (float)correct / ntest;
	maxw = 0;
	for (int i = 0; i < DIGITS_IN; i++)
		for (int j = 0; j < DIGITS_HIDDEN; j++)
			maxw = fabsf(W1[i][j]) > maxw ? fabsf(W1[i][j]) : maxw;
	s_w1 = maxw / 127;
	maxw = 0;
	for (int j = 0; j < DIGITS_HIDDEN; j++)
		for (int k = 0; k < DIGITS_OUT; k++)
			maxw = fabsf(W2[j][k]) > maxw ? fabsf(W2[j][k]) : maxw;
	s_w2 = maxw / 127;
	s_h = maxh / 127;
	for (int i = 0; i < DIGITS_IN; i++)
		for (int j = 0; j < DIGITS_HIDDEN; j++)
			m.w1[i * DIGITS_HIDDEN + j] = q8(W1[i][j], s_w1);
	for (int j = 0; j < DIGITS_HIDDEN; j++) {
		m.b1[j] = (int32_t)lrintf(B1[j] / (s_x * s_w1));
		for (int k = 0; k < DIGITS_OUT; k++)
			m.w2[j * DIGITS_OUT + k] = q8(W2[j][k], s_w2);
	}
	for (int k = 0; k < DIGITS_OUT; k++)
		m.b2[k] = (int32_t)lrintf(B2[k] / (s_h * s_w2));
	m.scale1 = s_x * s_w1 / s_h;

	snprintf(path, sizeof(path), "%s/model.bin", argv[2]);
	f = fopen(path, "wb");
	if (!f || fwrite(&m, sizeof(m), 1, f) != 1 || fclose(f)) {
		perror(path);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/test.bin", argv[2]);
	f = fopen(path, "wb");
	th.magic = DIGITS_TEST_MAGIC;
	th.n = (uint32_t)ntest;
	if (!f || fwrite(&th, sizeof(th), 1, f) != 1) {
		perror(path);
		return 1;
	}
	for (int s = ntrain; s < n; s++)
		fwrite(XI[idx[s]], 1, DIGITS_IN, f);
	for (int s = ntrain; s < n; s++)
		fwrite(&Y[idx[s]], 1, 1, f);
	if (fclose(f)) {
		perror(path);
		return 1;
	}
	printf("digits-train: %d samples, %d train / %d test, 64-%d-10 MLP, %d epochs: "
	       "float test accuracy %.2f%%\n", n, ntrain, ntest, DIGITS_HIDDEN, EPOCHS,
	       100.0 * correct / ntest);
	return 0;
}
