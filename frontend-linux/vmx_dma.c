// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * DMA for virtio-msg devices: every mapping is a grant to the backend
 * domain, and the DMA address is the grant-DMA address the backend
 * decodes: bit 63 | first grant ref << 12 | offset, with consecutive refs
 * for consecutive pages (the convention of Linux's own Xen grant DMA,
 * which Debian's kernel does not enable: CONFIG_XEN_VIRTIO is off).
 * Read-only grants for memory the device only reads.  The virtio core
 * uses these ops because vring_use_dma_api() is true in Xen guests.
 *
 * With a pool (the default, module parameter pool_pages), nothing is
 * granted per mapping: buffers bounce through pages granted once at
 * connect, so the backend maps each page once and keeps it, and the
 * per-request cost is a memcpy instead of grant and map hypercalls
 * (blkfront's persistent grants do the same).
 */
#include <linux/dma-map-ops.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xenbus.h>

#include "vmx.h"

#define GDMA_FLAG (1ull << 63)

static domid_t backend_of(struct device *dev)
{
	return to_xenbus_device(dev)->otherend_id;
}

static dma_addr_t to_dma(grant_ref_t ref, unsigned long off)
{
	return GDMA_FLAG | ((dma_addr_t)ref << XEN_PAGE_SHIFT) | (off & (XEN_PAGE_SIZE - 1));
}

static grant_ref_t to_ref(dma_addr_t a)
{
	return (grant_ref_t)((a & ~GDMA_FLAG) >> XEN_PAGE_SHIFT);
}

static struct vmx_pool *pool_of(struct device *dev)
{
	struct vmx_dev *v = dev_get_drvdata(dev);

	return v ? v->pool : NULL;
}

struct vmx_pool *vmx_pool_create(domid_t domid, unsigned int npages)
{
	struct vmx_pool *p = kzalloc(sizeof(*p), GFP_KERNEL);
	unsigned int i;

	if (!p)
		return NULL;
	spin_lock_init(&p->lock);
	p->npages = npages;
	p->mem = alloc_pages_exact((size_t)npages << PAGE_SHIFT, GFP_KERNEL | __GFP_ZERO);
	p->used = bitmap_zalloc(npages, GFP_KERNEL);
	p->slot = kcalloc(npages, sizeof(*p->slot), GFP_KERNEL);
	if (!p->mem || !p->used || !p->slot ||
	    gnttab_alloc_grant_reference_seq(npages, &p->first)) {
		if (p->mem)
			free_pages_exact(p->mem, (size_t)npages << PAGE_SHIFT);
		bitmap_free(p->used);
		kfree(p->slot);
		kfree(p);
		return NULL;
	}
	for (i = 0; i < npages; i++)
		gnttab_grant_foreign_access_ref(p->first + i, domid,
						virt_to_gfn(p->mem + ((size_t)i << PAGE_SHIFT)), 0);
	return p;
}

/* After the backend closed: end every grant, the pages go with them. */
void vmx_pool_destroy(struct vmx_pool *p)
{
	unsigned int i;

	if (!p)
		return;
	for (i = 0; i < p->npages; i++)
		gnttab_end_foreign_access(p->first + i,
					  virt_to_page(p->mem + ((size_t)i << PAGE_SHIFT)));
	bitmap_free(p->used);
	kfree(p->slot);
	kfree(p);
}

/* @n pool pages, or -1 if the pool is full right now. */
static long pool_get(struct vmx_pool *p, unsigned int n)
{
	unsigned long flags, i;

	spin_lock_irqsave(&p->lock, flags);
	i = bitmap_find_next_zero_area(p->used, p->npages, 0, n, 0);
	if (i < p->npages)
		bitmap_set(p->used, i, n);
	else
		p->fails++;
	spin_unlock_irqrestore(&p->lock, flags);
	return i < p->npages ? (long)i : -1;
}

static void pool_put(struct vmx_pool *p, unsigned long i, unsigned int n)
{
	unsigned long flags;

	if (i >= p->npages || n > p->npages - i)
		return;
	spin_lock_irqsave(&p->lock, flags);
	bitmap_clear(p->used, i, n);
	spin_unlock_irqrestore(&p->lock, flags);
}

static void *pool_va(struct vmx_pool *p, dma_addr_t a)
{
	return p->mem + (((size_t)(to_ref(a) - p->first)) << PAGE_SHIFT) + (a & ~PAGE_MASK);
}

/* Grant @n pages starting at @page; returns the first of n consecutive refs. */
static int grant_pages(struct device *dev, struct page *page, unsigned n, bool ro,
		       grant_ref_t *first)
{
	unsigned i;
	int rc = gnttab_alloc_grant_reference_seq(n, first);

	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		gnttab_grant_foreign_access_ref(*first + i, backend_of(dev),
						xen_page_to_gfn(nth_page(page, i)), ro);
	return 0;
}

static void end_grants(grant_ref_t first, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		/* The backend unmaps before it completes a buffer; if it
		 * still holds one, that grant (not the page) is leaked. */
		if (!gnttab_end_foreign_access_ref(first + i))
			pr_warn_ratelimited("virtio-msg: grant %u still mapped by the backend\n",
					    first + i);
	gnttab_free_grant_reference_seq(first, n);
}

static void *vmx_alloc(struct device *dev, size_t size, dma_addr_t *handle, gfp_t gfp,
		       unsigned long attrs)
{
	unsigned n = PFN_UP(size);
	struct vmx_pool *pool = pool_of(dev);
	grant_ref_t ref;
	void *p;

	if (pool) {                      /* rings live in the pool too */
		long i = pool_get(pool, n);

		if (i < 0)
			return NULL;
		*handle = to_dma(pool->first + i, 0);
		p = pool->mem + ((size_t)i << PAGE_SHIFT);
		memset(p, 0, (size_t)n << PAGE_SHIFT);
		return p;
	}
	p = alloc_pages_exact(n << PAGE_SHIFT, gfp | __GFP_ZERO);
	if (!p)
		return NULL;
	if (grant_pages(dev, virt_to_page(p), n, false, &ref)) {
		free_pages_exact(p, n << PAGE_SHIFT);
		return NULL;
	}
	*handle = to_dma(ref, 0);
	return p;
}

static void vmx_free(struct device *dev, size_t size, void *vaddr, dma_addr_t handle,
		     unsigned long attrs)
{
	unsigned n = PFN_UP(size);
	struct vmx_pool *pool = pool_of(dev);

	if (pool) {
		pool_put(pool, to_ref(handle) - pool->first, n);
		return;
	}
	end_grants(to_ref(handle), n);
	free_pages_exact(vaddr, n << PAGE_SHIFT);
}

static dma_addr_t vmx_map_page(struct device *dev, struct page *page, unsigned long offset,
			       size_t size, enum dma_data_direction dir, unsigned long attrs)
{
	struct vmx_pool *pool = pool_of(dev);
	unsigned n;
	grant_ref_t ref;

	page = nth_page(page, offset >> PAGE_SHIFT);
	offset &= ~PAGE_MASK;
	n = PFN_UP(offset + size);
	if (pool) {                      /* bounce through persistent grants */
		long i = pool_get(pool, n);
		u8 *b;

		if (i < 0)
			return DMA_MAPPING_ERROR;   /* the driver retries later */
		b = pool->mem + ((size_t)i << PAGE_SHIFT) + offset;
		pool->slot[i] = (struct vmx_slot){ page_address(page) + offset, size, dir };
		if (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL)
			memcpy(b, page_address(page) + offset, size);
		return to_dma(pool->first + i, offset);
	}
	if (grant_pages(dev, page, n, dir == DMA_TO_DEVICE, &ref))
		return DMA_MAPPING_ERROR;
	return to_dma(ref, offset);
}

static void vmx_unmap_page(struct device *dev, dma_addr_t handle, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	unsigned long off = handle & (XEN_PAGE_SIZE - 1);
	struct vmx_pool *pool = pool_of(dev);

	if (pool) {
		unsigned long i = to_ref(handle) - pool->first;
		struct vmx_slot *sl;

		if (i >= pool->npages)
			return;
		sl = &pool->slot[i];
		if (sl->orig && (sl->dir == DMA_FROM_DEVICE || sl->dir == DMA_BIDIRECTIONAL))
			memcpy(sl->orig, pool_va(pool, handle), min_t(size_t, size, sl->size));
		sl->orig = NULL;
		pool_put(pool, i, PFN_UP(off + size));
		return;
	}
	end_grants(to_ref(handle), PFN_UP(off + size));
}

static void vmx_unmap_sg(struct device *dev, struct scatterlist *sgl, int nents,
			 enum dma_data_direction dir, unsigned long attrs)
{
	struct scatterlist *s;
	int i;

	for_each_sg(sgl, s, nents, i)
		vmx_unmap_page(dev, s->dma_address, sg_dma_len(s), dir, attrs);
}

static int vmx_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs)
{
	struct scatterlist *s;
	int i;

	for_each_sg(sgl, s, nents, i) {
		s->dma_address = vmx_map_page(dev, sg_page(s), s->offset, s->length, dir, attrs);
		if (s->dma_address == DMA_MAPPING_ERROR) {
			vmx_unmap_sg(dev, sgl, i, dir, attrs);
			return -ENOMEM;
		}
		sg_dma_len(s) = s->length;
	}
	return nents;
}

static void vmx_sync_for_cpu(struct device *dev, dma_addr_t handle, size_t size,
			     enum dma_data_direction dir)
{
	struct vmx_pool *pool = pool_of(dev);
	unsigned long i;

	if (!pool || (dir != DMA_FROM_DEVICE && dir != DMA_BIDIRECTIONAL))
		return;
	i = to_ref(handle) - pool->first;
	if (i < pool->npages && pool->slot[i].orig)
		memcpy(pool->slot[i].orig, pool_va(pool, handle),
		       min_t(size_t, size, pool->slot[i].size));
}

static void vmx_sync_for_device(struct device *dev, dma_addr_t handle, size_t size,
				enum dma_data_direction dir)
{
	struct vmx_pool *pool = pool_of(dev);
	unsigned long i;

	if (!pool || (dir != DMA_TO_DEVICE && dir != DMA_BIDIRECTIONAL))
		return;
	i = to_ref(handle) - pool->first;
	if (i < pool->npages && pool->slot[i].orig)
		memcpy(pool_va(pool, handle), pool->slot[i].orig,
		       min_t(size_t, size, pool->slot[i].size));
}

static int vmx_dma_supported(struct device *dev, u64 mask)
{
	return mask == DMA_BIT_MASK(64);
}

const struct dma_map_ops vmx_grant_dma_ops = {
	.alloc = vmx_alloc,
	.free = vmx_free,
	.map_page = vmx_map_page,
	.unmap_page = vmx_unmap_page,
	.map_sg = vmx_map_sg,
	.unmap_sg = vmx_unmap_sg,
	.sync_single_for_cpu = vmx_sync_for_cpu,
	.sync_single_for_device = vmx_sync_for_device,
	.dma_supported = vmx_dma_supported,
};
