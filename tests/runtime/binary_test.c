// SPDX-License-Identifier: MIT
/*
 * Kernel binary (ELF) loader tests: a valid binary's structure, then one
 * malformation at a time -- truncation, wrong magic/class/endianness/machine/
 * type, bad ISA version, .text not a multiple of 8, missing sections, bad
 * metadata -- each must give XPU_ERROR_INVALID_BINARY with a message naming
 * the problem, from xpu_binary_validate() and from xpu_module_load().
 */
#include <elf.h>

#include "rt_test.h"

static const char *src =
	".kernel first\n.arg a buffer\n.arg n u64\n.spad 4096\n	nop\n	halt\n.end\n"
	".kernel second\n.arg x f32\n	halt\n.end\n";

FIXTURE(bin) {
	xpu_device *dev;
	uint8_t *img;
	size_t size;
	Elf64_Ehdr *eh;
	Elf64_Shdr *text, *meta;
	struct xpu_meta_hdr *mh;
	struct xpu_meta_kernel *mk;
	struct xpu_meta_arg *ma;
};

FIXTURE_SETUP(bin)
{
	void *img;
	Elf64_Shdr *sh;
	const char *shstr;

	self->img = NULL;
	RT_OPEN(self->dev);
	XOK(xpu_assemble(src, "t.s", &img, &self->size));
	self->img = img;
	self->eh = img;
	sh = (Elf64_Shdr *)(self->img + self->eh->e_shoff);
	shstr = (const char *)self->img + sh[self->eh->e_shstrndx].sh_offset;
	for (int i = 0; i < self->eh->e_shnum; i++) {
		if (!strcmp(shstr + sh[i].sh_name, ".text"))
			self->text = &sh[i];
		if (!strcmp(shstr + sh[i].sh_name, ".xpu.meta"))
			self->meta = &sh[i];
	}
	ASSERT_NE(NULL, self->text);
	ASSERT_NE(NULL, self->meta);
	self->mh = (void *)(self->img + self->meta->sh_offset);
	self->mk = (void *)(self->mh + 1);
	self->ma = (void *)(self->mk + self->mh->num_kernels);
}

FIXTURE_TEARDOWN(bin)
{
	free(self->img);
	if (self->dev)
		xpu_device_close(self->dev);
}

/* The image must be rejected, naming msg, by validate and by load. */
static int rejected(struct __test_metadata *_metadata, FIXTURE_DATA(bin) *self, size_t size,
		    const char *msg)
{
	xpu_module *mod;
	xpu_status st = xpu_binary_validate(self->img, size, NULL);

	EXPECT_EQ(XPU_ERROR_INVALID_BINARY, st) TH_LOG("validate: %s", xpu_last_error());
	if (st != XPU_ERROR_INVALID_BINARY)
		return 0;
	EXPECT_NE(NULL, strstr(xpu_last_error(), msg)) TH_LOG("'%s' lacks '%s'", xpu_last_error(), msg);
	if (!strstr(xpu_last_error(), msg))
		return 0;
	st = xpu_module_load(self->dev, self->img, size, &mod);
	EXPECT_EQ(XPU_ERROR_INVALID_BINARY, st);
	return st == XPU_ERROR_INVALID_BINARY && strstr(xpu_last_error(), msg);
}

TEST_F(bin, valid_structure)
{
	uint32_t n;

	XOK(xpu_binary_validate(self->img, self->size, &n));
	ASSERT_EQ(2, n);
	ASSERT_EQ(XPU_ELF_MACHINE, self->eh->e_machine);
	ASSERT_EQ(ET_EXEC, self->eh->e_type);
	ASSERT_EQ(ELFCLASS64, self->eh->e_ident[EI_CLASS]);
	ASSERT_EQ(XPU_ISA_VERSION, self->eh->e_flags);
	ASSERT_EQ(SHT_PROGBITS, self->text->sh_type);
	ASSERT_EQ(24, self->text->sh_size);
	ASSERT_EQ(SHT_XPU_META, self->meta->sh_type);
	ASSERT_EQ(XPU_META_MAGIC, self->mh->magic);
	ASSERT_EQ(2, self->mh->num_kernels);
	ASSERT_EQ(3, self->mh->num_args);
	ASSERT_EQ(16, self->mk[0].text_size);
	ASSERT_EQ(4096, self->mk[0].spad_size);
	ASSERT_EQ(16, self->mk[1].text_offset);
	ASSERT_EQ(XPU_ARG_F32, self->ma[2].type);
}

TEST_F(bin, truncated)
{
	const size_t cuts[] = { 0, 1, 16, 63, 64, 100, 200 };

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		ASSERT_TRUE(rejected(_metadata, self, cuts[i], "truncated"));
	ASSERT_TRUE(rejected(_metadata, self, self->size - 1, "truncated"));
	ASSERT_TRUE(rejected(_metadata, self, self->eh->e_shoff + 10, "truncated"));
}

TEST_F(bin, not_elf)
{
	self->img[1] = 'X';
	ASSERT_TRUE(rejected(_metadata, self, self->size, "not an ELF file"));
}

TEST_F(bin, wrong_class)
{
	self->eh->e_ident[EI_CLASS] = ELFCLASS32;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "not a 64-bit ELF"));
}

TEST_F(bin, wrong_endianness)
{
	self->eh->e_ident[EI_DATA] = ELFDATA2MSB;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "little-endian"));
}

TEST_F(bin, wrong_machine)
{
	self->eh->e_machine = EM_X86_64;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "wrong machine 0x3e"));
}

TEST_F(bin, wrong_type)
{
	self->eh->e_type = ET_REL;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "expected ET_EXEC"));
}

TEST_F(bin, bad_isa_version)
{
	self->eh->e_flags = 2 << 16;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "ISA version 2.0"));
	self->eh->e_flags = XPU_ISA_VERSION + 1;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "ISA version 1.1"));
}

TEST_F(bin, meta_isa_differs_from_elf)
{
	self->mh->isa_version = 0x10005;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "differs from e_flags"));
}

TEST_F(bin, text_not_multiple_of_8)
{
	self->text->sh_size = 20;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "not a multiple of 8"));
}

TEST_F(bin, empty_text)
{
	self->text->sh_size = 0;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "empty .text section"));
}

TEST_F(bin, missing_text)
{
	self->text->sh_name = self->meta->sh_name + 1;	/* "xpu.meta": neither */
	ASSERT_TRUE(rejected(_metadata, self, self->size, "no .text section"));
}

TEST_F(bin, missing_metadata)
{
	self->meta->sh_name = self->text->sh_name + 1;	/* "text" */
	ASSERT_TRUE(rejected(_metadata, self, self->size, "no .xpu.meta section"));
}

TEST_F(bin, metadata_wrong_section_type)
{
	self->meta->sh_type = SHT_PROGBITS;
	ASSERT_TRUE(rejected(_metadata, self, self->size, ".xpu.meta has type"));
}

TEST_F(bin, metadata_bad_magic)
{
	self->mh->magic = 0x12345678;
	ASSERT_TRUE(rejected(_metadata, self, self->size, ".xpu.meta: bad magic"));
}

TEST_F(bin, metadata_bad_version_or_sizes)
{
	self->mh->version = 9;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "format version 9"));
	self->mh->version = XPU_META_VERSION;
	self->mh->kernel_size = 40;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "bad record sizes"));
}

TEST_F(bin, metadata_truncated)
{
	self->mh->num_args = 1000;
	ASSERT_TRUE(rejected(_metadata, self, self->size, ".xpu.meta truncated"));
	self->mh->num_args = 3;
	self->meta->sh_size = 8;
	ASSERT_TRUE(rejected(_metadata, self, self->size, ".xpu.meta truncated"));
}

TEST_F(bin, no_kernels)
{
	self->mh->num_kernels = 0;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "no kernels"));
}

TEST_F(bin, kernel_text_out_of_range)
{
	self->mk[1].text_offset = 24;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "kernel 'second': text [24, +8) outside .text"));
}

TEST_F(bin, kernel_text_misaligned)
{
	self->mk[0].text_size = 12;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "not a multiple of 8"));
}

TEST_F(bin, bad_argument_type)
{
	self->ma[1].type = 42;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "kernel 'first' argument 1: unknown type 42"));
}

TEST_F(bin, arguments_out_of_range)
{
	self->mk[1].first_arg = 3;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "outside the 3 argument records"));
}

TEST_F(bin, bad_name_offset)
{
	self->mk[0].name = 100000;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "name offset 100000"));
}

TEST_F(bin, duplicate_kernel_names)
{
	self->mk[1].name = self->mk[0].name;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "duplicate kernel name 'first'"));
}

TEST_F(bin, unknown_kernel_flags)
{
	self->mk[0].flags = 1;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "unknown flags"));
}

TEST_F(bin, bad_section_table)
{
	self->eh->e_shentsize = 40;
	ASSERT_TRUE(rejected(_metadata, self, self->size, "no section header table"));
}

TEST_F(bin, random_corruption_never_crashes)
{
	uint8_t *orig = malloc(self->size);
	uint64_t seed = 5;
	uint32_t n;

	memcpy(orig, self->img, self->size);
	for (int i = 0; i < 3000; i++) {
		xpu_status st;

		memcpy(self->img, orig, self->size);
		for (int j = 0; j < 1 + i % 4; j++)
			self->img[rt_rand(&seed) % self->size] = (uint8_t)rt_rand(&seed);
		st = xpu_binary_validate(self->img, self->size - (i % 7 == 0 ? rt_rand(&seed) % 64 : 0), &n);
		ASSERT_TRUE(st == XPU_SUCCESS || st == XPU_ERROR_INVALID_BINARY)
			TH_LOG("status %d: %s", st, xpu_last_error());
	}
	free(orig);
}

/* Version 2 records each buffer argument's extent; a size on a non-buffer
 * argument is malformed. */
TEST_F(bin, metadata_size_on_non_buffer_argument)
{
	ASSERT_EQ(2, self->mh->version);
	ASSERT_EQ(16, self->mh->arg_size);
	self->ma[1].min_size = 8;	/* 'n', a u64 */
	ASSERT_TRUE(rejected(_metadata, self, self->size, "non-buffer"));
}

/* Version 1 files (8-byte argument records, no sizes) still load: the
 * fixture's metadata rewritten in place in the version 1 layout. */
TEST_F(bin, metadata_version_1_still_loads)
{
	uint32_t nargs = self->mh->num_args;
	uint8_t *v1 = (uint8_t *)self->ma;
	char *strtab = (char *)(self->ma + nargs), *copy;
	xpu_module *mod;
	xpu_kernel *k;

	copy = malloc(self->mh->strtab_size);
	ASSERT_NE(NULL, copy);
	memcpy(copy, strtab, self->mh->strtab_size);
	for (uint32_t i = 0; i < nargs; i++) {
		uint32_t rec[2] = { self->ma[i].name, self->ma[i].type };

		memmove(v1 + i * XPU_META_ARG_SIZE_V1, rec, sizeof(rec));
	}
	memcpy(v1 + nargs * XPU_META_ARG_SIZE_V1, copy, self->mh->strtab_size);
	free(copy);
	self->mh->version = 1;
	self->mh->arg_size = XPU_META_ARG_SIZE_V1;
	XOK(xpu_binary_validate(self->img, self->size, NULL));
	XOK(xpu_module_load(self->dev, self->img, self->size, &mod));
	XOK(xpu_kernel_create(mod, "first", &k));
	xpu_kernel_destroy(k);
	XOK(xpu_kernel_create(mod, "second", &k));
	xpu_kernel_destroy(k);
	XOK(xpu_module_unload(mod));
	/* a version 1 header with version 2 records is malformed */
	self->mh->arg_size = sizeof(struct xpu_meta_arg);
	ASSERT_TRUE(rejected(_metadata, self, self->size, "bad record sizes"));
}

TEST_HARNESS_MAIN
