// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test module (tests/vm/selftest-slab.sh): frees one object of
 * its own slab cache twice. With the test VM's slub_debug=F the second free
 * is caught (SLUB reports a BUG in the cache), which taints the kernel with
 * TAINT_BAD_PAGE, and panic_on_taint=0x20 turns that into a panic: the run
 * must fail. Never load it anywhere else.
 */
#include <linux/module.h>
#include <linux/slab.h>

static struct kmem_cache *vmt_cache;

static int __init vmt_slab_selftest_init(void)
{
	void *obj;

	vmt_cache = kmem_cache_create("vmt_slab_selftest", 64, 0, 0, NULL);
	if (!vmt_cache)
		return -ENOMEM;
	obj = kmem_cache_alloc(vmt_cache, GFP_KERNEL);
	if (!obj) {
		kmem_cache_destroy(vmt_cache);
		return -ENOMEM;
	}
	pr_info("vmt_slab_selftest: freeing %px twice on purpose\n", obj);
	kmem_cache_free(vmt_cache, obj);
	kmem_cache_free(vmt_cache, obj);
	return 0;
}

static void __exit vmt_slab_selftest_exit(void)
{
	kmem_cache_destroy(vmt_cache);
}

module_init(vmt_slab_selftest_init);
module_exit(vmt_slab_selftest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmmerge test bed: a deliberate slab double free");
