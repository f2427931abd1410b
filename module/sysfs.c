// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: /sys/kernel/vmmerge
 *
 * Knobs and counters in the manner of /sys/kernel/mm/ksm: one value per
 * file, parsed with kstrto*(), range-checked; a value out of range returns
 * -EINVAL and the old value stays.  Knobs are writable by root only;
 * fingerprint_key cannot be read back at all.
 */
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "knobs.h"
#include "policy.h"
#include "registry.h"
#include "scanner.h"
#include "stats.h"

struct vmm_knobs vmm_knobs = {
	.max_vms = 1024,
	.max_regions = 16,
	.max_groups = 256,
	.max_domains = 64,
	.stats_interval_ms = 1000,
	.stats_max_pages = 1U << 20,
	.enrol = 1,
	.cross_domain = 0,
	.scan_pages_per_sec = 16384,
	.scan_batch = 256,
	.scan_cpu_permille = 100,
	.scan_calm_max = 6,
	.max_fingerprints = 1U << 20,
	.estimate_interval_ms = 1000,
	.min_yield = 0,
	.yield_hysteresis = 2,
	.min_samples = 256,
	.sketch_k = 512,
};

static struct kobject *vmm_kobj;

/* A knob: where it lives, its bounds, and what to do after a change. */
struct vmm_knob_attr {
	struct kobj_attribute attr;
	unsigned int *value;
	unsigned int min, max;
	void (*changed)(void);
};

static void vmm_knob_policy_changed(void)
{
	mutex_lock(&vmm_reg.lock);
	vmm_policy_apply();
	mutex_unlock(&vmm_reg.lock);
}

static ssize_t vmm_knob_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct vmm_knob_attr *knob = container_of(attr, struct vmm_knob_attr, attr);

	return sysfs_emit(buf, "%u\n", READ_ONCE(*knob->value));
}

static ssize_t vmm_knob_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	struct vmm_knob_attr *knob = container_of(attr, struct vmm_knob_attr, attr);
	unsigned int value;

	if (kstrtouint(buf, 10, &value) || value < knob->min || value > knob->max)
		return -EINVAL;
	WRITE_ONCE(*knob->value, value);
	if (knob->changed)
		knob->changed();
	return count;
}

#define VMM_KNOB(_name, _min, _max, _changed)				\
	static struct vmm_knob_attr _name##_knob = {			\
		.attr = __ATTR(_name, 0644, vmm_knob_show, vmm_knob_store), \
		.value = &vmm_knobs._name,				\
		.min = _min,						\
		.max = _max,						\
		.changed = _changed,					\
	}

VMM_KNOB(max_vms, 1, 65536, NULL);
VMM_KNOB(max_regions, 1, 256, NULL);
VMM_KNOB(max_groups, 1, 4096, NULL);
VMM_KNOB(max_domains, 1, 4096, NULL);
VMM_KNOB(stats_interval_ms, 100, 600000, vmm_stats_kick);
VMM_KNOB(stats_max_pages, 512, 1U << 30, NULL);
VMM_KNOB(enrol, 0, 1, vmm_knob_policy_changed);
VMM_KNOB(cross_domain, 0, 1, vmm_knob_policy_changed);
VMM_KNOB(scan_pages_per_sec, 16, 1U << 22, vmm_scanner_wake);
VMM_KNOB(scan_batch, 16, 4096, NULL);
VMM_KNOB(scan_cpu_permille, 1, 1000, vmm_scanner_wake);
VMM_KNOB(scan_calm_max, 0, 10, vmm_scanner_wake);
VMM_KNOB(max_fingerprints, 1024, 1U << 26, NULL);
VMM_KNOB(estimate_interval_ms, 100, 600000, NULL);
VMM_KNOB(min_yield, 0, 100, vmm_knob_policy_changed);
VMM_KNOB(yield_hysteresis, 0, 20, vmm_knob_policy_changed);
VMM_KNOB(min_samples, 16, 1U << 20, vmm_knob_policy_changed);
VMM_KNOB(sketch_k, 16, VMMERGE_SKETCH_MAX, NULL);

/* Read-only counters, read under the registry lock. */
#define VMM_COUNTER(_name, _expr)					\
	static ssize_t _name##_show(struct kobject *kobj,		\
				    struct kobj_attribute *attr, char *buf) \
	{								\
		unsigned long long v;					\
									\
		mutex_lock(&vmm_reg.lock);				\
		v = (_expr);						\
		mutex_unlock(&vmm_reg.lock);				\
		return sysfs_emit(buf, "%llu\n", v);			\
	}								\
	static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

VMM_COUNTER(nr_vms, vmm_reg.nr_vms);
VMM_COUNTER(nr_enrolled, vmm_reg.nr_enrolled);
VMM_COUNTER(nr_groups, vmm_reg.nr_groups);
VMM_COUNTER(nr_domains, vmm_reg.nr_domains);
VMM_COUNTER(stats_refreshes, vmm_reg.nr_refreshes);
VMM_COUNTER(resident_pages, vmm_reg.stats.resident);
VMM_COUNTER(merged_pages, vmm_reg.stats.merged);
VMM_COUNTER(saved_pages, vmm_stats_saved_pages(&vmm_reg.stats));

#define VMM_ATOMIC(_name, _var)						\
	static ssize_t _name##_show(struct kobject *kobj,		\
				    struct kobj_attribute *attr, char *buf) \
	{								\
		return sysfs_emit(buf, "%lld\n", atomic64_read(&_var));	\
	}								\
	static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

VMM_ATOMIC(scan_pages, vmm_scan_pages);
VMM_ATOMIC(scan_batches, vmm_scan_batches);
VMM_ATOMIC(scan_time_ns, vmm_scan_time_ns);
VMM_ATOMIC(scan_estimations, vmm_scan_estimations);
VMM_ATOMIC(fingerprint_slots, vmm_fingerprints);
VMM_ATOMIC(unmerge_failures, vmm_unmerge_failures);
VMM_COUNTER(fingerprints, vmm_reg.nr_fingerprints);
VMM_COUNTER(scan_calm, vmm_scan_calm);

/*
 * fingerprint_key: 32 hex digits, write-only.  Random at load; hosts that
 * compare sketches with each other are given the same key by their admin.
 */
static ssize_t fingerprint_key_store(struct kobject *kobj,
				     struct kobj_attribute *attr,
				     const char *buf, size_t count)
{
	u8 key[16];
	size_t len = count;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len != 2 * sizeof(key) || hex2bin(key, buf, sizeof(key)))
		return -EINVAL;
	mutex_lock(&vmm_reg.lock);
	vmm_scan_set_key(key);
	mutex_unlock(&vmm_reg.lock);
	memzero_explicit(key, sizeof(key));
	return count;
}
static struct kobj_attribute fingerprint_key_attr = __ATTR_WO(fingerprint_key);

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", VMMERGE_VERSION);
}
static struct kobj_attribute version_attr = __ATTR_RO(version);

static struct attribute *vmm_attrs[] = {
	&max_vms_knob.attr.attr,
	&max_regions_knob.attr.attr,
	&max_groups_knob.attr.attr,
	&max_domains_knob.attr.attr,
	&stats_interval_ms_knob.attr.attr,
	&stats_max_pages_knob.attr.attr,
	&enrol_knob.attr.attr,
	&cross_domain_knob.attr.attr,
	&scan_pages_per_sec_knob.attr.attr,
	&scan_batch_knob.attr.attr,
	&scan_cpu_permille_knob.attr.attr,
	&scan_calm_max_knob.attr.attr,
	&max_fingerprints_knob.attr.attr,
	&estimate_interval_ms_knob.attr.attr,
	&min_yield_knob.attr.attr,
	&yield_hysteresis_knob.attr.attr,
	&min_samples_knob.attr.attr,
	&sketch_k_knob.attr.attr,
	&scan_pages_attr.attr,
	&scan_batches_attr.attr,
	&scan_time_ns_attr.attr,
	&scan_estimations_attr.attr,
	&fingerprint_slots_attr.attr,
	&unmerge_failures_attr.attr,
	&fingerprints_attr.attr,
	&scan_calm_attr.attr,
	&nr_vms_attr.attr,
	&nr_enrolled_attr.attr,
	&nr_groups_attr.attr,
	&nr_domains_attr.attr,
	&stats_refreshes_attr.attr,
	&resident_pages_attr.attr,
	&merged_pages_attr.attr,
	&saved_pages_attr.attr,
	&fingerprint_key_attr.attr,
	&version_attr.attr,
	NULL,
};

static const struct attribute_group vmm_attr_group = {
	.attrs = vmm_attrs,
};

int __init vmm_sysfs_init(void)
{
	int ret;

	vmm_kobj = kobject_create_and_add("vmmerge", kernel_kobj);
	if (!vmm_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(vmm_kobj, &vmm_attr_group);
	if (ret)
		kobject_put(vmm_kobj);
	return ret;
}

void vmm_sysfs_exit(void)
{
	sysfs_remove_group(vmm_kobj, &vmm_attr_group);
	kobject_put(vmm_kobj);
}
