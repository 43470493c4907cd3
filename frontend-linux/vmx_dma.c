// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * DMA for virtio-msg devices: every mapping is a grant to the backend
 * domain, and the DMA address is the grant-DMA address the backend
 * decodes: bit 63 | first grant ref << 12 | offset, with consecutive refs
 * for consecutive pages (the convention of Linux's own Xen grant DMA,
 * which Debian's kernel does not enable: CONFIG_XEN_VIRTIO is off).
 * Read-only grants for memory the device only reads.  The virtio core
 * uses these ops because vring_use_dma_api() is true in Xen guests.
 */
#include <linux/dma-map-ops.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
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
	grant_ref_t ref;
	void *p = alloc_pages_exact(n << PAGE_SHIFT, gfp | __GFP_ZERO);

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

	end_grants(to_ref(handle), n);
	free_pages_exact(vaddr, n << PAGE_SHIFT);
}

static dma_addr_t vmx_map_page(struct device *dev, struct page *page, unsigned long offset,
			       size_t size, enum dma_data_direction dir, unsigned long attrs)
{
	unsigned n;
	grant_ref_t ref;

	page = nth_page(page, offset >> PAGE_SHIFT);
	offset &= ~PAGE_MASK;
	n = PFN_UP(offset + size);
	if (grant_pages(dev, page, n, dir == DMA_TO_DEVICE, &ref))
		return DMA_MAPPING_ERROR;
	return to_dma(ref, offset);
}

static void vmx_unmap_page(struct device *dev, dma_addr_t handle, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	unsigned long off = handle & (XEN_PAGE_SIZE - 1);

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
	.dma_supported = vmx_dma_supported,
};
