// SPDX-License-Identifier: MIT
/*
 * libxpu: the kernel binary format (include/xpu/xpu_elf.h), read and written
 * with libelf. Every malformation gives XPU_ERROR_INVALID_BINARY naming what
 * is wrong; the raw ELF header and section table are bounds-checked before
 * libelf sees the image, so truncated files are reported as such.
 */
#include <ctype.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define BAD(...) xpu_set_error(XPU_ERROR_INVALID_BINARY, "invalid kernel binary: " __VA_ARGS__)

static const char *const arg_names[] = {
	[XPU_ARG_BUFFER] = "buffer", [XPU_ARG_U64] = "u64", [XPU_ARG_I64] = "i64",
	[XPU_ARG_U32] = "u32", [XPU_ARG_I32] = "i32", [XPU_ARG_F32] = "f32",
};

int xpu_arg_type_valid(uint32_t type)
{
	return type >= XPU_ARG_BUFFER && type <= XPU_ARG_F32;
}

const char *xpu_arg_type_name(uint32_t type)
{
	return xpu_arg_type_valid(type) ? arg_names[type] : "?";
}

int xpu_arg_type_parse(const char *s, uint32_t *type)
{
	for (uint32_t t = XPU_ARG_BUFFER; t <= XPU_ARG_F32; t++) {
		if (!strcmp(s, arg_names[t])) {
			*type = t;
			return 0;
		}
	}
	return -1;
}

int xpu_ident_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > XPU_META_NAME_MAX || (!isalpha((unsigned char)s[0]) && s[0] != '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

void xpu_image_free(struct xpu_image *img)
{
	if (!img)
		return;
	for (uint32_t i = 0; img->kernels && i < img->num_kernels; i++)
		free(img->kernels[i].args);
	free(img->kernels);
	free(img->text);
	free(img->graph);
	free(img->consts);
	memset(img, 0, sizeof(*img));
}

xpu_status xpu_image_check(const struct xpu_image *img)
{
	if (img->isa_version >> 16 != XPU_ISA_VERSION_MAJOR ||
	    (img->isa_version & 0xffff) > XPU_ISA_VERSION_MINOR)
		return BAD("ISA version %u.%u, this runtime runs %u.0 up to %u.%u",
			   img->isa_version >> 16, img->isa_version & 0xffff, XPU_ISA_VERSION_MAJOR,
			   XPU_ISA_VERSION_MAJOR, XPU_ISA_VERSION_MINOR);
	if (!img->text_size)
		return BAD("empty .text section");
	if (img->text_size % XPU_INSN_BYTES)
		return BAD(".text is %u bytes, not a multiple of 8 (one instruction is 8 bytes)",
			   img->text_size);
	if (!img->num_kernels)
		return BAD("no kernels in .xpu.meta");
	if (img->num_kernels > XPU_META_MAX_KERNELS)
		return BAD("%u kernels, at most %d", img->num_kernels, XPU_META_MAX_KERNELS);
	for (uint32_t i = 0; i < img->num_kernels; i++) {
		const struct xpu_image_kernel *k = &img->kernels[i];

		if (!xpu_ident_valid(k->name))
			return BAD("kernel %u: bad name \"%.64s\"", i, k->name);
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(img->kernels[j].name, k->name))
				return BAD("duplicate kernel name '%s'", k->name);
		if (k->text_offset % 8 || k->text_size % 8)
			return BAD("kernel '%s': text offset %u / size %u not a multiple of 8",
				   k->name, k->text_offset, k->text_size);
		if (!k->text_size)
			return BAD("kernel '%s': empty text", k->name);
		if (k->text_offset > img->text_size || k->text_size > img->text_size - k->text_offset)
			return BAD("kernel '%s': text [%u, +%u) outside .text (%u bytes)", k->name,
				   k->text_offset, k->text_size, img->text_size);
		if (k->num_args > XPU_META_MAX_ARGS)
			return BAD("kernel '%s': %u arguments, at most %d", k->name, k->num_args,
				   XPU_META_MAX_ARGS);
		for (uint32_t a = 0; a < k->num_args; a++) {
			if (!xpu_arg_type_valid(k->args[a].type))
				return BAD("kernel '%s' argument %u: unknown type %u", k->name, a,
					   k->args[a].type);
			if (!xpu_ident_valid(k->args[a].name))
				return BAD("kernel '%s' argument %u: bad name", k->name, a);
		}
	}
	return XPU_SUCCESS;
}

/* ---- reading ------------------------------------------------------------- */
static const char *str_at(const char *tab, uint32_t size, uint32_t off)
{
	if (off >= size || !memchr(tab + off, 0, size - off))
		return NULL;
	return tab + off;
}

static xpu_status parse_meta(const uint8_t *m, uint64_t size, uint32_t e_flags,
			     struct xpu_image *img)
{
	struct xpu_meta_hdr h;
	const struct xpu_meta_kernel *mk;
	const uint8_t *ma;		/* h.arg_size bytes a record (version 1: 8) */
	const char *strtab;
	uint64_t need;
	uint16_t arg_size;

	if (size < sizeof(h))
		return BAD(".xpu.meta truncated: %llu bytes, the header needs %zu",
			   (unsigned long long)size, sizeof(h));
	memcpy(&h, m, sizeof(h));
	if (h.magic != XPU_META_MAGIC)
		return BAD(".xpu.meta: bad magic 0x%08x", h.magic);
	if (h.version != 1 && h.version != XPU_META_VERSION)
		return BAD(".xpu.meta: format version %u, this runtime reads 1 to %d", h.version,
			   XPU_META_VERSION);
	arg_size = h.version == 1 ? XPU_META_ARG_SIZE_V1 : sizeof(struct xpu_meta_arg);
	if (h.hdr_size != sizeof(h) || h.kernel_size != sizeof(*mk) || h.arg_size != arg_size ||
	    h.rsvd)
		return BAD(".xpu.meta: bad record sizes (header %u, kernel %u, arg %u) or reserved field",
			   h.hdr_size, h.kernel_size, h.arg_size);
	if (h.isa_version != e_flags)
		return BAD(".xpu.meta ISA version 0x%x differs from e_flags 0x%x", h.isa_version,
			   e_flags);
	if (h.num_kernels > XPU_META_MAX_KERNELS || h.num_args > XPU_META_MAX_KERNELS * XPU_META_MAX_ARGS)
		return BAD(".xpu.meta: %u kernels / %u arguments is too many", h.num_kernels,
			   h.num_args);
	need = sizeof(h) + (uint64_t)h.num_kernels * sizeof(*mk) + (uint64_t)h.num_args * arg_size +
	       h.strtab_size;
	if (need > size)
		return BAD(".xpu.meta truncated: %u kernels, %u arguments and %u string bytes need %llu "
			   "bytes, the section has %llu", h.num_kernels, h.num_args, h.strtab_size,
			   (unsigned long long)need, (unsigned long long)size);
	mk = (const void *)(m + sizeof(h));
	ma = m + sizeof(h) + h.num_kernels * sizeof(*mk);
	strtab = (const char *)(ma + (uint64_t)h.num_args * arg_size);
	img->isa_version = h.isa_version;
	img->num_kernels = h.num_kernels;
	img->kernels = calloc(h.num_kernels ? h.num_kernels : 1, sizeof(*img->kernels));
	if (!img->kernels)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	for (uint32_t i = 0; i < h.num_kernels; i++) {
		struct xpu_image_kernel *k = &img->kernels[i];
		struct xpu_meta_kernel r;
		const char *name;

		memcpy(&r, &mk[i], sizeof(r));
		name = str_at(strtab, h.strtab_size, r.name);
		if (!name || strlen(name) > XPU_META_NAME_MAX)
			return BAD("kernel %u: name offset %u outside the string table or too long", i,
				   r.name);
		strcpy(k->name, name);
		if (r.flags)
			return BAD("kernel '%s': unknown flags 0x%x", name, r.flags);
		if (r.first_arg > h.num_args || r.num_args > h.num_args - r.first_arg)
			return BAD("kernel '%s': arguments [%u, +%u) outside the %u argument records",
				   name, r.first_arg, r.num_args, h.num_args);
		if (r.num_args > XPU_META_MAX_ARGS)
			return BAD("kernel '%s': %u arguments, at most %d", name, r.num_args,
				   XPU_META_MAX_ARGS);
		k->text_offset = r.text_offset;
		k->text_size = r.text_size;
		k->spad_size = r.spad_size;
		k->acc_size = r.acc_size;
		k->num_args = r.num_args;
		k->args = calloc(r.num_args ? r.num_args : 1, sizeof(*k->args));
		if (!k->args)
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
		for (uint32_t a = 0; a < r.num_args; a++) {
			struct xpu_meta_arg ar = { 0 };
			const char *an;

			memcpy(&ar, ma + (uint64_t)(r.first_arg + a) * arg_size, arg_size);
			an = str_at(strtab, h.strtab_size, ar.name);
			if (!an || strlen(an) > XPU_META_NAME_MAX)
				return BAD("kernel '%s' argument %u: name offset %u outside the string "
					   "table", name, a, ar.name);
			strcpy(k->args[a].name, an);
			k->args[a].type = ar.type;
			if (ar.min_size && ar.type != XPU_ARG_BUFFER)
				return BAD("kernel '%s' argument '%s': a size (%llu) for a non-buffer "
					   "argument", name, an, (unsigned long long)ar.min_size);
			k->args[a].min_size = ar.min_size;
		}
	}
	return XPU_SUCCESS;
}

static xpu_status parse(const uint8_t *buf, size_t size, struct xpu_image *img)
{
	Elf64_Ehdr eh;
	Elf *e;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const uint8_t *text = NULL, *meta = NULL, *graph = NULL, *consts = NULL;
	uint64_t text_size = 0, meta_size = 0, graph_size = 0, const_size = 0;
	Elf64_Shdr seen[4] = { { 0 } };	/* file ranges of .text, .xpu.meta, .xpu.graph, .xpu.const */
	xpu_status st;

	if (size < sizeof(eh))
		return BAD("truncated: %zu bytes, an ELF header needs %zu", size, sizeof(eh));
	memcpy(&eh, buf, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG))
		return BAD("not an ELF file (bad magic)");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return BAD("not a 64-bit ELF file (class %u)", eh.e_ident[EI_CLASS]);
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return BAD("not a little-endian ELF file");
	if (eh.e_machine != XPU_ELF_MACHINE)
		return BAD("wrong machine 0x%x, an XPU binary has e_machine 0x%x", eh.e_machine,
			   XPU_ELF_MACHINE);
	if (eh.e_type != ET_EXEC)
		return BAD("ELF type %u, expected ET_EXEC", eh.e_type);
	if (eh.e_flags >> 16 != XPU_ISA_VERSION_MAJOR || (eh.e_flags & 0xffff) > XPU_ISA_VERSION_MINOR)
		return BAD("ISA version %u.%u (e_flags), this runtime runs %u.0 up to %u.%u",
			   eh.e_flags >> 16, eh.e_flags & 0xffff, XPU_ISA_VERSION_MAJOR,
			   XPU_ISA_VERSION_MAJOR, XPU_ISA_VERSION_MINOR);
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || !eh.e_shnum)
		return BAD("no section header table (e_shnum %u, e_shentsize %u)", eh.e_shnum,
			   eh.e_shentsize);
	if (eh.e_shoff > size || (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) > size - eh.e_shoff)
		return BAD("truncated: the section headers [%llu, +%zu) end beyond the file (%zu bytes)",
			   (unsigned long long)eh.e_shoff, eh.e_shnum * sizeof(Elf64_Shdr), size);
	for (unsigned int i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;

		memcpy(&sh, buf + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
		    (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset))
			return BAD("truncated: section %u [%llu, +%llu) ends beyond the file (%zu bytes)",
				   i, (unsigned long long)sh.sh_offset, (unsigned long long)sh.sh_size,
				   size);
	}

	elf_version(EV_CURRENT);
	e = elf_memory((char *)buf, size);
	if (!e)
		return BAD("libelf: %s", elf_errmsg(-1));
	if (elf_getshdrstrndx(e, &shstrndx)) {
		st = BAD("no section name table: %s", elf_errmsg(-1));
		goto out;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh)) {
			st = BAD("libelf: %s", elf_errmsg(-1));
			goto out;
		}
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (!strcmp(name, XPU_SECT_GRAPH) || !strcmp(name, XPU_SECT_CONST)) {
			int is_graph = !strcmp(name, XPU_SECT_GRAPH);
			uint32_t want = is_graph ? SHT_XPU_GRAPH : SHT_XPU_CONST;

			if (sh.sh_type != want) {
				st = BAD("%s has type 0x%x, expected 0x%x", name, sh.sh_type, want);
				goto out;
			}
			if (is_graph ? graph != NULL : consts != NULL) {
				st = BAD("two %s sections", name);
				goto out;
			}
			if (!is_graph && sh.sh_offset % 64) {
				st = BAD(".xpu.const at file offset %llu is not 64-byte aligned",
					 (unsigned long long)sh.sh_offset);
				goto out;
			}
			if (is_graph) {
				graph = buf + sh.sh_offset;
				graph_size = sh.sh_size;
			} else {
				consts = buf + sh.sh_offset;
				const_size = sh.sh_size;
			}
			seen[is_graph ? 2 : 3].sh_offset = sh.sh_offset;
			seen[is_graph ? 2 : 3].sh_size = sh.sh_size;
			continue;
		}
		if (!strcmp(name, XPU_SECT_TEXT)) {
			if (sh.sh_type != SHT_PROGBITS) {
				st = BAD(".text has type %u, expected SHT_PROGBITS", sh.sh_type);
				goto out;
			}
			text = buf + sh.sh_offset;
			text_size = sh.sh_size;
			seen[0].sh_offset = sh.sh_offset;
			seen[0].sh_size = sh.sh_size;
		} else if (!strcmp(name, XPU_SECT_META)) {
			if (sh.sh_type != SHT_XPU_META) {
				st = BAD(".xpu.meta has type 0x%x, expected 0x%x", sh.sh_type,
					 SHT_XPU_META);
				goto out;
			}
			meta = buf + sh.sh_offset;
			meta_size = sh.sh_size;
			seen[1].sh_offset = sh.sh_offset;
			seen[1].sh_size = sh.sh_size;
		}
	}
	if (!text) {
		st = BAD("no .text section");
		goto out;
	}
	if (!meta) {
		st = BAD("no .xpu.meta section (kernel metadata)");
		goto out;
	}
	if (text_size % XPU_INSN_BYTES) {
		st = BAD(".text is %llu bytes, not a multiple of 8 (one instruction is 8 bytes)",
			 (unsigned long long)text_size);
		goto out;
	}
	if (text_size > UINT32_MAX) {
		st = BAD(".text too large");
		goto out;
	}
	if (consts && !graph) {
		st = BAD("a .xpu.const section without .xpu.graph");
		goto out;
	}
	{	/* the XPU sections must not share bytes of the file */
		static const char *const sn[4] = { XPU_SECT_TEXT, XPU_SECT_META, XPU_SECT_GRAPH,
						   XPU_SECT_CONST };
		const uint8_t *const present[4] = { text, meta, graph, consts };

		for (int a = 0; a < 4; a++)
			for (int b = a + 1; b < 4; b++)
				if (present[a] && present[b] && seen[a].sh_size && seen[b].sh_size &&
				    seen[a].sh_offset < seen[b].sh_offset + seen[b].sh_size &&
				    seen[b].sh_offset < seen[a].sh_offset + seen[a].sh_size) {
					st = BAD("sections %s and %s overlap in the file", sn[a],
						 sn[b]);
					goto out;
				}
	}
	st = parse_meta(meta, meta_size, eh.e_flags, img);
	if (st)
		goto out;
	if (graph) {
		img->graph = malloc(graph_size ? graph_size : 1);
		img->consts = malloc(const_size ? const_size : 1);
		if (!img->graph || !img->consts) {
			st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "malloc of %llu graph bytes",
					   (unsigned long long)(graph_size + const_size));
			goto out;
		}
		memcpy(img->graph, graph, graph_size);
		img->graph_size = graph_size;
		if (consts)
			memcpy(img->consts, consts, const_size);
		img->const_size = const_size;
	}
	img->text_size = (uint32_t)text_size;
	img->text = malloc(text_size ? text_size : 1);
	if (!img->text) {
		st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "malloc");
		goto out;
	}
	memcpy(img->text, text, text_size);
	st = xpu_image_check(img);
out:
	elf_end(e);
	return st;
}

xpu_status xpu_image_parse(const void *data, size_t size, struct xpu_image *img)
{
	uint8_t *copy;
	xpu_status st;

	memset(img, 0, sizeof(*img));
	if (!data)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "image is NULL");
	/* an aligned private copy: libelf may use it in place */
	copy = malloc(size ? size : 1);
	if (!copy)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "malloc");
	memcpy(copy, data, size);
	st = parse(copy, size, img);
	free(copy);
	if (st)
		xpu_image_free(img);
	return st;
}

/* ---- writing ------------------------------------------------------------- */
struct strbuf {
	char *p;
	size_t n, cap;
};

static uint32_t sb_add(struct strbuf *sb, const char *s)
{
	size_t len = strlen(s) + 1;
	uint32_t off = (uint32_t)sb->n;

	if (sb->n + len > sb->cap) {
		size_t cap = (sb->cap + len) * 2;
		char *p = realloc(sb->p, cap);

		if (!p)
			return UINT32_MAX;
		sb->p = p;
		sb->cap = cap;
	}
	memcpy(sb->p + sb->n, s, len);
	sb->n += len;
	return off;
}

static int add_section(Elf *e, struct strbuf *shstr, const char *name, uint32_t type,
		       uint64_t flags, void *buf, size_t size, uint64_t align, Elf_Type dtype,
		       uint32_t link, uint32_t info, uint64_t entsize)
{
	Elf_Scn *scn = elf_newscn(e);
	Elf_Data *d;
	Elf64_Shdr *sh;

	if (!scn)
		return -1;
	d = elf_newdata(scn);
	if (!d)
		return -1;
	d->d_buf = buf;
	d->d_size = size;
	d->d_type = dtype;
	d->d_align = align;
	d->d_version = EV_CURRENT;
	sh = elf64_getshdr(scn);
	if (!sh)
		return -1;
	sh->sh_name = sb_add(shstr, name);
	sh->sh_type = type;
	sh->sh_flags = flags;
	sh->sh_addralign = align;
	sh->sh_link = link;
	sh->sh_info = info;
	sh->sh_entsize = entsize;
	return sh->sh_name == UINT32_MAX ? -1 : 0;
}

xpu_status xpu_image_write(const struct xpu_image *img, void **data, size_t *size)
{
	struct strbuf shstr = { 0 }, strtab = { 0 }, mstr = { 0 };
	uint8_t *meta = NULL, *out = NULL;
	Elf64_Sym *syms = NULL;
	struct xpu_meta_hdr h = { 0 };
	size_t meta_size, nargs = 0;
	Elf64_Ehdr *eh;
	Elf *e = NULL;
	off_t len;
	int fd = -1;
	xpu_status st;

	st = xpu_image_check(img);
	if (st)
		return st;
	for (uint32_t i = 0; i < img->num_kernels; i++)
		nargs += img->kernels[i].num_args;

	/* metadata: strings first so the records know their offsets */
	sb_add(&mstr, "");
	meta_size = sizeof(h) + img->num_kernels * sizeof(struct xpu_meta_kernel) +
		    nargs * sizeof(struct xpu_meta_arg);
	meta = calloc(1, meta_size);
	syms = calloc(img->num_kernels + 1, sizeof(*syms));
	if (!meta || !syms)
		goto nomem;
	sb_add(&strtab, "");
	{
		struct xpu_meta_kernel *mk = (void *)(meta + sizeof(h));
		struct xpu_meta_arg *ma = (void *)(mk + img->num_kernels);
		uint32_t a = 0;

		for (uint32_t i = 0; i < img->num_kernels; i++) {
			const struct xpu_image_kernel *k = &img->kernels[i];

			mk[i].name = sb_add(&mstr, k->name);
			mk[i].text_offset = k->text_offset;
			mk[i].text_size = k->text_size;
			mk[i].first_arg = a;
			mk[i].num_args = k->num_args;
			mk[i].spad_size = k->spad_size;
			mk[i].acc_size = k->acc_size;
			for (uint32_t j = 0; j < k->num_args; j++, a++) {
				ma[a].name = sb_add(&mstr, k->args[j].name);
				ma[a].type = k->args[j].type;
				ma[a].min_size = k->args[j].min_size;
			}
			syms[i + 1].st_name = sb_add(&strtab, k->name);
			syms[i + 1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
			syms[i + 1].st_shndx = 1;
			syms[i + 1].st_value = k->text_offset;
			syms[i + 1].st_size = k->text_size;
		}
	}
	if (!mstr.p || !strtab.p)
		goto nomem;
	h.magic = XPU_META_MAGIC;
	h.version = XPU_META_VERSION;
	h.hdr_size = sizeof(h);
	h.isa_version = img->isa_version;
	h.num_kernels = img->num_kernels;
	h.kernel_size = sizeof(struct xpu_meta_kernel);
	h.arg_size = sizeof(struct xpu_meta_arg);
	h.num_args = (uint32_t)nargs;
	h.strtab_size = (uint32_t)mstr.n;
	memcpy(meta, &h, sizeof(h));
	{
		uint8_t *m = realloc(meta, meta_size + mstr.n);

		if (!m)
			goto nomem;
		meta = m;
		memcpy(meta + meta_size, mstr.p, mstr.n);
		meta_size += mstr.n;
	}

	elf_version(EV_CURRENT);
	fd = memfd_create("xpu-elf", MFD_CLOEXEC);
	if (fd < 0) {
		st = xpu_errno_error(errno, "memfd_create");
		goto out;
	}
	e = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!e)
		goto elferr;
	eh = elf64_newehdr(e);
	if (!eh)
		goto elferr;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_EXEC;
	eh->e_machine = XPU_ELF_MACHINE;
	eh->e_version = EV_CURRENT;
	eh->e_flags = img->isa_version;
	sb_add(&shstr, "");
	/* section indices: 1 .text, 2 .xpu.meta, 3 .symtab, 4 .strtab, 5 .shstrtab */
	if (add_section(e, &shstr, XPU_SECT_TEXT, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
			img->text, img->text_size, 8, ELF_T_BYTE, 0, 0, 0) ||
	    add_section(e, &shstr, XPU_SECT_META, SHT_XPU_META, 0, meta, meta_size, 8, ELF_T_BYTE,
			0, 0, 0) ||
	    add_section(e, &shstr, ".symtab", SHT_SYMTAB, 0, syms,
			(img->num_kernels + 1) * sizeof(*syms), 8, ELF_T_SYM, 4, 1, sizeof(*syms)) ||
	    add_section(e, &shstr, ".strtab", SHT_STRTAB, 0, strtab.p, strtab.n, 1, ELF_T_BYTE, 0,
			0, 0))
		goto elferr;
	/* compiled models: 5 .xpu.graph, 6 .xpu.const (before .shstrtab) */
	if (img->graph &&
	    (add_section(e, &shstr, XPU_SECT_GRAPH, SHT_XPU_GRAPH, 0, img->graph,
			 img->graph_size, 8, ELF_T_BYTE, 0, 0, 0) ||
	     (img->const_size &&
	      add_section(e, &shstr, XPU_SECT_CONST, SHT_XPU_CONST, 0, img->consts,
			  img->const_size, 64, ELF_T_BYTE, 0, 0, 0))))
		goto elferr;
	if (sb_add(&shstr, ".shstrtab") == UINT32_MAX)
		goto nomem;
	{
		/* .shstrtab names itself: add it last with the final buffer */
		Elf_Scn *scn = elf_newscn(e);
		Elf_Data *d = scn ? elf_newdata(scn) : NULL;
		Elf64_Shdr *sh = scn ? elf64_getshdr(scn) : NULL;

		if (!d || !sh)
			goto elferr;
		d->d_buf = shstr.p;
		d->d_size = shstr.n;
		d->d_type = ELF_T_BYTE;
		d->d_align = 1;
		d->d_version = EV_CURRENT;
		sh->sh_name = (uint32_t)(shstr.n - sizeof(".shstrtab"));
		sh->sh_type = SHT_STRTAB;
		sh->sh_addralign = 1;
		eh->e_shstrndx = (uint16_t)elf_ndxscn(scn);
	}
	len = elf_update(e, ELF_C_WRITE);
	if (len < 0)
		goto elferr;
	elf_end(e);
	e = NULL;
	out = malloc(len);
	if (!out)
		goto nomem;
	if (pread(fd, out, len, 0) != len) {
		st = xpu_errno_error(errno, "pread of the ELF image");
		free(out);
		goto out;
	}
	*data = out;
	*size = (size_t)len;
	st = XPU_SUCCESS;
	goto out;
elferr:
	st = xpu_set_error(XPU_ERROR_OS, "libelf: %s", elf_errmsg(-1));
	goto out;
nomem:
	st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "out of memory writing an ELF image");
out:
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	free(meta);
	free(syms);
	free(shstr.p);
	free(strtab.p);
	free(mstr.p);
	return st;
}

XPU_EXPORT xpu_status xpu_binary_validate(const void *image, size_t size, uint32_t *num_kernels)
{
	struct xpu_image img;
	xpu_status st = xpu_image_parse(image, size, &img);

	if (st)
		return st;
	if (num_kernels)
		*num_kernels = img.num_kernels;
	xpu_image_free(&img);
	return xpu_ok(XPU_SUCCESS);
}
