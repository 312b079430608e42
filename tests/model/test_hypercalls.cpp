// Hypercalls as ACRN's hypervisor takes them (vmcall.c vmcall_vmexit_handler,
// dispatch_hypercall, parse_target_vm; hypercall.c hcall_*), and the
// Service VM's memory map (vm.c prepare_service_vm_memmap), each driven by a
// guest program that executes VMCALL with its arguments in its own memory.
#include <algorithm>
#include <cstring>
#include <string>
#include <systemc>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "models/hv/hypercall_abi.h"
#include "models/hv/ivshmem_device.h"
#include "tests/support/console_lines.h"
#include "tests/support/testbench.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/pci_config.h"

using namespace ivsim;
using test::hv_device;

namespace {

const pci::Bdf k08 = *pci::Bdf::parse("00:08.0");

// Where the Service VM's test program keeps its hypercall arguments.
Gpa args_gpa(Guest& g) { return g.ram_base() + 32 * kMiB; }

// The Service VM is VM 1: HMI_VM (2) is relative VM 1, RT_VM (0) relative 0xFFFF.
constexpr u64 kRelHmi = 1, kRelRt = 0xFFFF;

hc::AcrnVdev shm0_vdev(u64 size = 2 * kMiB, const char* name = "hv:/shm0") {
  hc::AcrnVdev d;
  d.id = 0x1AF4u | (0x1110u << 16);
  d.slot = k08.value();
  d.io_addr[0] = 0x8010'0000u;
  d.io_addr[1] = 0x8010'1000u;
  d.io_addr[2] = 0x0000'000Cu;
  d.io_addr[3] = 0x40;  // BAR2 at 256 GiB
  d.io_size[2] = size;
  std::memcpy(d.args, name, std::min(std::strlen(name), sizeof d.args));
  return d;
}

// HC_VM_SET_MEMORY_REGIONS from a Service VM program: one region for
// HMI_VM, its structures at `arg` in the caller's memory.
i64 set_memory_region(Guest& g, Gpa arg, u32 type, u32 prot, Gpa gpa, Gpa service_vm_gpa, u64 size) {
  hc::VmMemoryRegion mr;
  mr.type = type;
  mr.prot = prot;
  mr.gpa = gpa;
  mr.service_vm_gpa = service_vm_gpa;
  mr.size = size;
  hc::SetRegions r;
  r.vmid = kRelHmi;
  r.mr_num = 1;
  r.regions_gpa = arg + 0x100;
  g.write(r.regions_gpa, &mr, sizeof mr);
  g.write(arg, &r, sizeof r);
  return g.hypercall(hc::kVmSetMemoryRegions, arg);
}

}  // namespace

TEST_CASE("VMCALL from a VM without hypercall rights gets #UD, counted (vmcall_vmexit_handler)") {
  test::Bench b(test::two_vm_scenario());
  int vector = -1;
  bool returned = false;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    try {
      g.hypercall(hc::kGetApiVersion, g.ram_base() + kMiB);
      returned = true;
    } catch (const GuestFault& f) {
      vector = f.vector;  // the guest's #UD handler
    }
  });
  sc_core::sc_start();
  CHECK_FALSE(returned);
  CHECK(vector == kVectorUd);
  CHECK(b.vm(0).faults_injected == 1);
  CHECK(b.vm(0).hypercalls == 0);
  const HvLog& log = b.platform->hypervisor().console_log();
  REQUIRE(log.lines() == 1);
  CHECK(log.first_lines().at(0).find("[vm0:vcpu0][sev=3][seq=1]:ret=-19 hypercall=0x80000000 failed") !=
        std::string::npos);
}

TEST_CASE("The Service VM's hypercalls: API version into its memory, callback vector range, unknown IDs "
          "(dispatch_hypercall, hcall_get_api_version, hcall_set_callback_vector)") {
  test::Bench b(test::two_vm_scenario());
  i64 version_ret = 1, unknown = 0, low_vector = 0, good_vector = 1, bad_struct = 0;
  u32 major = 0, minor = 9;
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    version_ret = g.hypercall(hc::kGetApiVersion, args_gpa(g));
    major = g.load<u32>(args_gpa(g));
    minor = g.load<u32>(args_gpa(g) + 4);
    unknown = g.hypercall(hc::hc_id(0xEE));
    low_vector = g.hypercall(hc::kSetCallbackVector, 0x10);
    good_vector = g.hypercall(hc::kSetCallbackVector, 0xF0);
    // A structure at a GPA the Service VM's EPT does not map (the hypervisor's image).
    bad_struct = g.hypercall(hc::kGetApiVersion, b.platform->layout().hypervisor_base);
    // One ACRN handles and the twin does not model: its outcome is unknown.
    (void)g.hypercall(hc::kCreateVm, args_gpa(g));
  });
  sc_core::sc_start();
  CHECK(version_ret == 0);
  CHECK(major == 1);
  CHECK(minor == 0);
  CHECK(unknown == -hc::kEnotty);
  CHECK(low_vector == -hc::kEinval);
  CHECK(good_vector == 0);
  CHECK(b.platform->hypervisor().hsm_notification_vector() == 0xF0);
  CHECK(bad_struct == -hc::kEinval);
  // acrn-dm's four at HMI_VM's launch (SET_IOREQ_BUFFER, VM_SET_MEMORY_REGIONS, ADD_VDEV, START_VM), then these.
  CHECK(b.vm(1).hypercalls == 4 + 6);
  CHECK(b.vm(1).hypercalls_failed == 4);
  // vmcall_vmexit_handler's pr_err for each failure on the debug build's
  // serial console, but none for the call whose outcome the twin does not know.
  const HvLog& log = b.platform->hypervisor().console_log();
  REQUIRE(log.lines() == 4);
  CHECK(log.first_lines().at(0).find("]:ret=-25 hypercall=0x800000ee failed in vmcall_vmexit_handler") !=
        std::string::npos);
  // hcall_set_callback_vector's own pr_err first.
  CHECK(log.first_lines().at(1).find("]:hcall_set_callback_vector: Invalid passed vector") != std::string::npos);
  CHECK(log.first_lines().at(2).find("]:ret=-22 hypercall=0x80000002 failed") != std::string::npos);
  CHECK(log.first_lines().at(3).find("]:ret=-22 hypercall=0x80000000 failed") != std::string::npos);
}

// The I/O request and memory-region hypercalls log their refusals as
// ACRN's handlers do (hcall_notify_ioreq_finish, hcall_set_vm_memory_regions,
// hcall_set_ioreq_buffer), each before vmcall_vmexit_handler's line.
TEST_CASE("the Service VM's refused I/O request and memory-region hypercalls are logged by their handlers") {
  test::Bench b(test::two_vm_scenario());
  i64 notify = 0, regions = 0, pause = 1, reset = 1, buffer = 0;
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const Gpa arg = args_gpa(g);
    const Gpa unmapped = b.platform->layout().hypervisor_base;   // not in the Service VM's EPT
    notify = g.hypercall(hc::kNotifyRequestFinish, kRelHmi, 7);  // HMI_VM has one vCPU
    hc::SetRegions r;
    r.vmid = kRelHmi;
    r.mr_num = 1;
    r.regions_gpa = unmapped;
    g.write(arg, &r, sizeof r);
    regions = g.hypercall(hc::kVmSetMemoryRegions, arg);
    pause = g.hypercall(hc::kPauseVm, kRelHmi);
    reset = g.hypercall(hc::kResetVm, kRelHmi);  // CREATED again: it may get a buffer
    g.store<u64>(arg, unmapped);
    buffer = g.hypercall(hc::kSetIoreqBuffer, kRelHmi, arg);
  });
  sc_core::sc_start();
  CHECK(notify == -1);
  CHECK(regions == -1);
  CHECK(pause == 0);
  CHECK(reset == 0);
  CHECK(buffer == -1);
  const HvLog& log = b.platform->hypervisor().console_log();
  const std::vector<std::string> expected = {
      "hcall_notify_ioreq_finish, failed to get VCPU 7 context from VM 2",
      "ret=-1 hypercall=0x80000031 failed in vmcall_vmexit_handler",
      "hcall_set_vm_memory_regions: Copy mr entry fail from vm",
      "ret=-1 hypercall=0x80000042 failed in vmcall_vmexit_handler",
      fmt::format("hcall_set_ioreq_buffer,vm[1] gpa 0x{:x},GPA is unmapping.", b.platform->layout().hypervisor_base),
      "ret=-1 hypercall=0x80000030 failed in vmcall_vmexit_handler",
  };
  test::check_console_lines(log, expected);
}

TEST_CASE("HC_ADD_VDEV / HC_REMOVE_VDEV from the Service VM: -ENOTTY for a pre-launched target, only a CREATED "
          "VM gets devices, checked against its static configuration (hcall_add_vdev, create_ivshmem_vdev)") {
  Scenario s = test::two_vm_scenario();
  s.console_loglevel = 4;  // the handlers' pr_warn lines too
  test::Bench b(s);
  REQUIRE(hv_device(*b.platform, 2));  // acrn-dm added it through HC_ADD_VDEV at launch
  CHECK(b.platform->launch_errors().empty());
  i64 pre = 0, running = 0, pause = 1, remove = 1, remove_again = 0, add_paused = 0, reset = 1, wrong_size = 0,
      wrong_name = 0, wrong_id = 0, good = 1, start = 1;
  bool gone_after_remove = false;
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const Gpa arg = args_gpa(g);
    auto put = [&](const hc::AcrnVdev& d) { g.write(arg, &d, sizeof d); };
    put(shm0_vdev());
    pre = g.hypercall(hc::kAddVdev, kRelRt, arg);
    running = g.hypercall(hc::kAddVdev, kRelHmi, arg);
    pause = g.hypercall(hc::kPauseVm, kRelHmi);
    remove = g.hypercall(hc::kRemoveVdev, kRelHmi, arg);
    gone_after_remove = hv_device(*b.platform, 2) == nullptr;
    remove_again = g.hypercall(hc::kRemoveVdev, kRelHmi, arg);
    add_paused = g.hypercall(hc::kAddVdev, kRelHmi, arg);
    reset = g.hypercall(hc::kResetVm, kRelHmi);
    put(shm0_vdev(4 * kMiB));
    wrong_size = g.hypercall(hc::kAddVdev, kRelHmi, arg);
    put(shm0_vdev(2 * kMiB, "hv:/other"));
    wrong_name = g.hypercall(hc::kAddVdev, kRelHmi, arg);
    hc::AcrnVdev not_ivshmem = shm0_vdev();
    not_ivshmem.id = 0x1234'8086u;
    put(not_ivshmem);
    wrong_id = g.hypercall(hc::kAddVdev, kRelHmi, arg);
    put(shm0_vdev());
    good = g.hypercall(hc::kAddVdev, kRelHmi, arg);
    start = g.hypercall(hc::kStartVm, kRelHmi);
  });
  sc_core::sc_start();
  CHECK(pre == -hc::kEnotty);
  CHECK(running == -hc::kEinval);
  CHECK(pause == 0);
  CHECK(remove == 0);
  CHECK(gone_after_remove);
  CHECK(remove_again == -hc::kEinval);
  CHECK(add_paused == -hc::kEinval);
  CHECK(reset == 0);
  CHECK(wrong_size == -hc::kEinval);
  CHECK(wrong_name == -hc::kEinval);
  CHECK(wrong_id == -hc::kEinval);
  CHECK(good == 0);
  CHECK(start == 0);
  CHECK(b.vm(2).state == VmState::running);
  IvshmemDevice* d = hv_device(*b.platform, 2);
  REQUIRE(d);
  CHECK(d->configured_bar2() == 0x40'0000'000CULL);
  // It is the region's doorbell peer again, at its VM id (IVPosition).
  CHECK(d->region().doorbell_peers[2] == d);
  const auto& counts = b.platform->hypervisor().isolation_counts();
  CHECK(counts.at("hc_add_vdev_refused: size 4194304 does not match the region's 2097152") == 1);
  CHECK(counts.at("hc_add_vdev_refused: no hv:/other in the VM's static configuration") == 1);
  // The handlers' own lines (hcall_add_vdev's and hcall_remove_vdev's
  // pr_err for a VM in the wrong state, create_ivshmem_vdev's and
  // hcall_remove_vdev's pr_warn for a device they cannot make or find),
  // each before vmcall_vmexit_handler's pr_err for the failed call; a
  // device ID no emulation claims (find_emul_dev_ops) only gets the latter.
  const HvLog& log = b.platform->hypervisor().console_log();
  const std::vector<std::string> expected = {
      "ret=-25 hypercall=0x80000059 failed in vmcall_vmexit_handler",
      "hcall_add_vdev, vm[2] is not a postlaunched VM, or not in CREATED status to create a vdev",
      "ret=-22 hypercall=0x80000059 failed in vmcall_vmexit_handler",
      "hcall_remove_vdev, failed to destroy emulated device 0:8.0",
      "ret=-22 hypercall=0x8000005a failed in vmcall_vmexit_handler",
      "hcall_add_vdev, vm[2] is not a postlaunched VM, or not in CREATED status to create a vdev",
      "ret=-22 hypercall=0x80000059 failed in vmcall_vmexit_handler",
      "create_ivshmem_vdev, failed to create ivshmem device 0:8.0",
      "ret=-22 hypercall=0x80000059 failed in vmcall_vmexit_handler",
      "create_ivshmem_vdev, failed to create ivshmem device 0:8.0",
      "ret=-22 hypercall=0x80000059 failed in vmcall_vmexit_handler",
      "ret=-22 hypercall=0x80000059 failed in vmcall_vmexit_handler",
  };
  test::check_console_lines(log, expected);
}

TEST_CASE("HC_VM_SET_MEMORY_REGIONS maps only Service VM memory, through the Service VM's EPT "
          "(hcall_set_vm_memory_regions, set_vm_memory_region, ept_is_valid_mr)") {
  test::Bench b(test::two_vm_scenario());
  Hypervisor& hv = b.platform->hypervisor();
  const Gpa target_gpa = 0x7000'0000;  // above HMI_VM's 64 MiB of RAM: unmapped
  i64 from_rt_ram = 0, from_hv = 0, unaligned = 0, del_unmapped = 0, add = 1, add_wt = 1, add_wc = 1, add_uc = 1;
  Gpa sos_page = 0;
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const Gpa arg = args_gpa(g);
    sos_page = g.ram_base() + 40 * kMiB;
    g.store<u64>(sos_page, 0x5E55'0001);
    auto call = [&](u32 type, Gpa service_vm_gpa, u64 size) {
      return set_memory_region(g, arg, type, hc::kMemAccessRead | hc::kMemAccessWrite | hc::kMemTypeWb, target_gpa,
                               service_vm_gpa, size);
    };
    from_rt_ram = call(hc::kMrAdd, b.vm(0).ram_hpa, kPageSize4K);  // carved out of its EPT
    from_hv = call(hc::kMrAdd, b.platform->layout().hypervisor_base, kPageSize4K);  // the hypervisor's image
    unaligned = call(hc::kMrAdd, sos_page, 100);
    del_unmapped = call(hc::kMrDel, 0, kPageSize4K);
    add = call(hc::kMrAdd, sos_page, kPageSize4K);
    // add_vm_memory_region takes the memory type from prot: WB, WT, WC, WP, else UC.
    const u32 rw = hc::kMemAccessRead | hc::kMemAccessWrite;
    add_wt =
        set_memory_region(g, arg, hc::kMrAdd, rw | hc::kMemTypeWt, target_gpa + kPageSize4K, sos_page, kPageSize4K);
    add_wc =
        set_memory_region(g, arg, hc::kMrAdd, rw | hc::kMemTypeWc, target_gpa + 2 * kPageSize4K, sos_page, kPageSize4K);
    add_uc =
        set_memory_region(g, arg, hc::kMrAdd, rw | hc::kMemTypeUc, target_gpa + 3 * kPageSize4K, sos_page, kPageSize4K);
  });
  u64 seen = 0;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    // After the Service VM's calls: each of the four that fail is logged
    // to the debug build's serial console, about 11 ms of its pCPU.
    g.compute(300'000'000);
    seen = g.load<u64>(target_gpa);
  });
  sc_core::sc_start();
  CHECK(from_rt_ram == -hc::kEinval);
  CHECK(from_hv == -hc::kEinval);
  CHECK(unaligned == -hc::kEinval);
  CHECK(del_unmapped == -hc::kEinval);
  CHECK(add == 0);
  CHECK(seen == 0x5E55'0001);
  const ept::WalkResult w = b.vm(2).ept->walk(target_gpa);
  REQUIRE(w.present);
  CHECK(w.hpa == hv.gpa2hpa(b.vm(1), sos_page));
  CHECK(ept::mem_type_of(w.leaf) == ept::MemType::WB);
  CHECK((w.leaf & ept::kExec) == 0);
  CHECK(add_wt == 0);
  CHECK(add_wc == 0);
  CHECK(add_uc == 0);
  CHECK(ept::mem_type_of(b.vm(2).ept->walk(target_gpa + kPageSize4K).leaf) == ept::MemType::WT);
  CHECK(ept::mem_type_of(b.vm(2).ept->walk(target_gpa + 2 * kPageSize4K).leaf) == ept::MemType::WC);
  CHECK(ept::mem_type_of(b.vm(2).ept->walk(target_gpa + 3 * kPageSize4K).leaf) == ept::MemType::UC);
}

// The Service VM adds a page at 0x7000'0000 to a running post-launched RTVM
// (HMI_VM made one); is_severity_pass decides by the two VMs' severities.
namespace {
struct RtvmMemoryChange {
  i64 ret;
  u8 severity;
  bool polling;
  bool mapped;
};

RtvmMemoryChange service_vm_adds_rtvm_memory(bool supervisor) {
  Scenario s = test::two_vm_scenario();
  s.vms[2].vm_type = "RTVM";
  s.service_vm_supervisor = supervisor;
  test::Bench b(s);
  i64 ret = 1;
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    ret = set_memory_region(g, args_gpa(g), hc::kMrAdd, hc::kMemAccessRead | hc::kMemTypeWb, 0x7000'0000,
                            g.ram_base() + 40 * kMiB, kPageSize4K);
  });
  sc_core::sc_start();
  return {ret, b.vm(2).severity, b.vm(2).is_polling_ioreq, b.vm(2).ept->walk(0x7000'0000).present};
}
}  // namespace

TEST_CASE("A running RTVM cannot have its memory changed by the Service VM (is_severity_pass)") {
  const RtvmMemoryChange r = service_vm_adds_rtvm_memory(false);
  CHECK(r.severity == kSeverityRtvm);
  CHECK(r.polling);
  CHECK(r.ret == -1);
  CHECK_FALSE(r.mapped);
}

// SERVICE_VM_SUPERVISOR_ENABLED: RTVM_SEVERITY_LEVEL 0x10, below the
// Service VM's 0x20, so is_severity_pass lets it change a running RTVM's
// memory.
TEST_CASE("With the Service VM supervising a running RTVM's memory is the Service VM's to change") {
  const RtvmMemoryChange r = service_vm_adds_rtvm_memory(true);
  CHECK(r.severity == kSeverityRtvmUnderSupervisor);
  CHECK(r.ret == 0);
  CHECK(r.mapped);
}

TEST_CASE(
    "The Service VM's EPT as prepare_service_vm_memmap builds it: post-launched RAM readable, the "
    "hypervisor's image and pre-launched VMs carved out, the hv-land pool and the EPT pools UC") {
  test::Bench b(test::two_vm_scenario());
  Hypervisor& hv = b.platform->hypervisor();
  const Vm& sos = b.vm(1);
  const HostLayout& layout = b.platform->layout();
  u64 hmi_value = 0, rt_value = 0, hv_value = 0, pool_value = 0, pml4e = 0;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.store<u64>(g.ram_base() + 0x10'0000, 0x4D49'0002);
    auto d = ivshmem_probe(g, k08);
    g.store<u64>(d->shmem + 0x40, 0x5000'0003);
  });
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(5'000'000);  // after HMI_VM's stores
    hmi_value = g.load<u64>(b.vm(2).ram_hpa + 0x10'0000);
    rt_value = g.load<u64>(b.vm(0).ram_hpa);
    hv_value = g.load<u64>(layout.hypervisor_base);
    pml4e = g.load<u64>(b.vm(0).ept->root());  // the RT VM's EPT, in an E820-reserved pool
    const IvshmemRegion& region = *hv.ivshmem_pool()->find("hv:/shm0");
    pool_value = g.load<u64>(region.hpa + 0x40);
  });
  sc_core::sc_start();
  CHECK(hmi_value == 0x4D49'0002);
  CHECK(rt_value == ~u64{0});  // EPT violation, no handler: all ones
  CHECK(hv_value == ~u64{0});
  CHECK(pool_value == 0x5000'0003);
  CHECK(pml4e == b.platform->host_memory().read_u64(b.vm(0).ept->root()));
  CHECK((pml4e & ept::kRwx) == ept::kRwx);
  CHECK(ept::mem_type_of(sos.ept->walk(layout.ept_pools_base).leaf) == ept::MemType::UC);
  CHECK(ept::mem_type_of(sos.ept->walk(layout.ept_pools_end - 8).leaf) == ept::MemType::UC);
  CHECK_FALSE(sos.ept->walk(layout.hypervisor_base).present);
  const IvshmemRegion& region = *hv.ivshmem_pool()->find("hv:/shm0");
  CHECK(ept::mem_type_of(sos.ept->walk(region.hpa).leaf) == ept::MemType::UC);
  CHECK(ept::mem_type_of(sos.ept->walk(sos.ram_gpa).leaf) == ept::MemType::WB);
  CHECK(ept::mem_type_of(sos.ept->walk(b.vm(2).ram_hpa).leaf) == ept::MemType::WB);
  CHECK_FALSE(sos.ept->walk(Hypervisor::kEcamBase).present);
  // The LAPIC page is unmapped, then the APIC-access page mapped there
  // (vlapic_create), as in every VM: one page, UC, readable and writable.
  for (const Vm* vm : std::initializer_list<const Vm*>{&sos, &b.vm(0), &b.vm(2)}) {
    INFO(vm->name);
    const ept::WalkResult apic = vm->ept->walk(VLapic::kDefaultBase);
    REQUIRE(apic.present);
    CHECK(apic.hpa == layout.apic_access_page);
    CHECK(apic.page_shift == 12);
    CHECK(ept::mem_type_of(apic.leaf) == ept::MemType::UC);
    CHECK((apic.leaf & ept::kRwx) == (ept::kRead | ept::kWrite));
  }
  CHECK(layout.apic_access_page >= layout.hypervisor_base);
  CHECK(layout.apic_access_page + kPageSize4K <= layout.hypervisor_end);
}

// prepare_service_vm_memmap unmaps the hypervisor's image only: the EPT
// pools it took with e820_alloc_memory stay in the Service VM's EPT, UC, so
// the Service VM (in the trusted computing base) can rewrite another VM's
// EPT. Redirecting a page of the RT VM onto the HMI VM's RAM: the RT VM's
// first walk of that page reads the HMI VM's data.
TEST_CASE("the Service VM can rewrite a pre-launched RTVM's EPT through its UC mapping of the EPT pools") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].vm_type = "RTVM";
  test::Bench b(s);
  const Vm& rt = b.vm(0);
  constexpr Gpa kPage = 0x100'0000;  // a page the RT VM has not touched yet
  const ept::WalkResult w = rt.ept->walk(kPage);
  REQUIRE(w.present);
  REQUIRE(w.page_shift == 12);  // the page-size-change workaround's 4 KiB leaves
  const Hpa pte = w.ref_hpa[w.refs - 1];
  const Hpa hmi_page = b.vm(2).ram_hpa + 0x10'0000;
  u64 seen = 0;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.store<u64>(g.ram_base() + 0x10'0000, 0x4D49'0007);
  });
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(1'000'000);
    g.store<u64>(pte, hmi_page | (w.leaf & ~ept::kAddrMask));
  });
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(10'000'000);  // after both stores
    seen = g.load<u64>(kPage);
  });
  sc_core::sc_start();
  CHECK(seen == 0x4D49'0007);
}

// ept_is_valid_mr asks the Service VM's EPT, which maps the EPT pools: the
// Service VM can hand a pool page to a User VM too.
TEST_CASE("HC_VM_SET_MEMORY_REGIONS maps a page of the EPT pools into a User VM, as the Service VM's EPT allows") {
  test::Bench b(test::two_vm_scenario());
  const Gpa target_gpa = 0x7000'0000;    // above HMI_VM's 64 MiB of RAM: unmapped
  const Hpa root = b.vm(0).ept->root();  // the RT VM's PML4 table, in the pools
  i64 ret = 1;
  u64 seen = 0;
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    ret = set_memory_region(g, args_gpa(g), hc::kMrAdd, hc::kMemAccessRead | hc::kMemAccessWrite | hc::kMemTypeWb,
                            target_gpa, root, kPageSize4K);
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(2'000'000);  // after the Service VM's call
    seen = g.load<u64>(target_gpa);
  });
  sc_core::sc_start();
  CHECK(ret == 0);
  CHECK(seen == b.platform->host_memory().read_u64(root));
  CHECK((seen & ept::kRwx) == ept::kRwx);
}

// An entry the Service VM writes into another VM's EPT that the CPU cannot
// use: the VM's walk ends in an EPT misconfiguration exit, whose handler
// logs the addresses and fails (ept_misconfig_vmexit_handler: -EINVAL). A
// release build's vCPU thread injects #GP; a debug build's ASSERT on the
// status fails first, and asm_assert spins the pCPU forever.
namespace {

struct Misconfigured {
  std::string fault;
  u8 vector = 0;
  bool returned = false;  // the access came back to the guest program, faulting or not
};

Misconfigured misconfigure_rt_vm_ept(const std::string& build_type, std::vector<std::string>* log_lines,
                                     std::string* rt_waiting_on) {
  Scenario s = test::two_vm_scenario();
  s.vms[0].vm_type = "RTVM";
  s.build_type = build_type;
  test::Bench b(s);
  const Vm& rt = b.vm(0);
  constexpr Gpa kPage = 0x100'0000;
  const ept::WalkResult w = rt.ept->walk(kPage);
  REQUIRE(w.present);
  const Hpa pte = w.ref_hpa[w.refs - 1];
  Misconfigured m;
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.store<u64>(pte, (w.leaf & ~ept::kMemTypeMask) | (u64{2} << ept::kMemTypeShift));  // memory type 2: reserved
  });
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(2'000'000);
    try {
      g.load<u64>(kPage);
    } catch (const GuestFault& f) {
      m.fault = f.what();
      m.vector = f.vector;
    }
    m.returned = true;
  });
  sc_core::sc_start();
  CHECK(rt.exits[static_cast<std::size_t>(ExitReason::ept_misconfig)] == 1);
  if (log_lines) *log_lines = b.platform->hypervisor().console_log().first_lines();
  if (rt_waiting_on) *rt_waiting_on = b.cpu("RT_VM").waiting_on();
  CHECK(rt.faults_injected == (build_type == "release" ? 1u : 0u));
  return m;
}

}  // namespace

TEST_CASE(
    "an EPT entry the Service VM makes misconfigured is an EPT misconfiguration exit and #GP in a release build") {
  std::vector<std::string> lines;
  const Misconfigured m = misconfigure_rt_vm_ept("release", &lines, nullptr);
  CHECK(m.returned);
  CHECK(m.vector == kVectorGp);
  CHECK(m.fault.find("EPT misconfiguration") != std::string::npos);
  CHECK(lines.empty());  // a release build logs nothing
}

TEST_CASE("a debug build's ASSERT in the EPT misconfiguration handler spins the vCPU's pCPU forever") {
  std::vector<std::string> lines;
  std::string waiting;
  const Misconfigured m = misconfigure_rt_vm_ept("debug", &lines, &waiting);
  CHECK_FALSE(m.returned);  // the load never completes, with no #GP either
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].find("[vm0:vcpu0][sev=1][seq=1]:ept_misconfig_vmexit_handler, Guest linear address: "
                      "0x0000000000000000 ") != std::string::npos);
  CHECK(lines[1].find("[sev=1][seq=2]:ept_misconfig_vmexit_handler, Guest physical address: 0x0000000001000000 ") !=
        std::string::npos);
  CHECK(lines[2].find("[sev=2][seq=3]:Assertion failed in file arch/x86/guest/ept.c,line 300 : fatal error") !=
        std::string::npos);
  CHECK(waiting.find("spinning in the hypervisor for good on pCPU 3") != std::string::npos);
  CHECK(waiting.find("ept_misconfig_vmexit_handler") != std::string::npos);
}

TEST_CASE("a post-launched VM its acrn-dm failed to launch never runs: HC_START_VM was not made (acrn-dm exits)") {
  Scenario s = test::two_vm_scenario();
  // "hv:/" and the name do not fit acrn_vdev's 32-byte args: the name the
  // hypervisor gets is cut, and HC_ADD_VDEV refuses it.
  s.regions[0].name = std::string(30, 'r');
  test::Bench b(s);
  REQUIRE(b.platform->launch_errors().size() == 1);
  CHECK(b.vm(2).state == VmState::created);
  bool ran = false;
  b.cpu("HMI_VM").set_program([&](Vcpu&) { ran = true; });
  b.cpu("RT_VM").set_program([&](Vcpu& c) { Guest(c).compute(1000); });
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_MS));
  CHECK_FALSE(ran);
  CHECK(b.cpu("HMI_VM").waiting_on().find("not started: its acrn-dm failed to launch the VM") == 0);
}
