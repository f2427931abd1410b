// SPDX-License-Identifier: GPL-2.0
/*
 * vmmerge: targeted, trust-aware page merging for microVM hosts.
 *
 * This file only wires the parts together; see each file's DOC: section.
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "knobs.h"
#include "netlink.h"
#include "procfs.h"
#include "registry.h"
#include "scanner.h"
#include "stats.h"

/*
 * The workers start before the interfaces that can kick them, and stop
 * after those are gone: a sysfs write or a netlink request never reaches a
 * worker that has stopped.  Exit mirrors init.
 */
static int __init vmmerge_init(void)
{
	int ret;

	ret = vmm_registry_init();
	if (ret)
		goto err_registry;
	ret = vmm_stats_init();
	if (ret)
		goto err_stats;
	ret = vmm_scanner_init();
	if (ret)
		goto err_scanner;
	ret = vmm_sysfs_init();
	if (ret)
		goto err_sysfs;
	ret = vmm_procfs_init();
	if (ret)
		goto err_procfs;
	ret = vmm_netlink_init();
	if (ret)
		goto err_netlink;
	pr_info("vmmerge " VMMERGE_VERSION " loaded\n");
	return 0;

err_netlink:
	vmm_procfs_exit();
err_procfs:
	vmm_sysfs_exit();
err_sysfs:
	vmm_scanner_exit();
	vmm_estimate_exit();
err_scanner:
	vmm_stats_exit();
err_stats:
	vmm_registry_exit();
err_registry:
	return ret;
}

static void __exit vmmerge_exit(void)
{
	vmm_netlink_exit();
	vmm_procfs_exit();
	vmm_sysfs_exit();
	vmm_scanner_exit();
	vmm_estimate_exit();
	vmm_stats_exit();
	vmm_registry_exit();
	pr_info("unloaded\n");
}

module_init(vmmerge_init);
module_exit(vmmerge_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Targeted, trust-aware page merging for microVM hosts");
MODULE_AUTHOR("The vmmerge developers");
MODULE_VERSION(VMMERGE_VERSION);
MODULE_ALIAS_GENL_FAMILY(VMMERGE_GENL_NAME);
