// The I/O request path through the request page in Service VM memory
// (hypervisor/dm/io_req.c acrn_insert_request, complete_ioreq; the HSM's
// ioreq dispatcher; hcall_notify_ioreq_finish), driven by a post-launched
// guest's access to its dm-land IVSHMEM registers.
#include <cstddef>
#include <systemc>

#include <catch2/catch.hpp>

#include "models/hv/hypercall_abi.h"
#include "tests/support/testbench.h"
#include "workloads/ivshmem_driver.h"

using namespace ivsim;

namespace {

const pci::Bdf k08 = *pci::Bdf::parse("00:08.0");

u32 slot_state(test::Bench& b, VmId vm, unsigned vcpu) {
  u32 state = 0;
  b.platform->hypervisor().host_memory().read(
      b.vm(vm).io_shared_page_hpa + vcpu * hc::kIoRequestSlotBytes + offsetof(hc::IoRequestSlot, processed), &state,
      sizeof state);
  return state;
}

struct Access {
  u64 sos_calls = 0;
  u64 sos_interrupts = 0;
  u32 ivposition = 9;
};

// UOS_VM (3) reads IVPosition of its dm-land device at 00:08.0: one request.
Access one_request(test::Bench& b) {
  Access a;
  u64 calls0 = 0, irqs0 = 0;
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto dm = ivshmem_probe(g, k08);
    calls0 = b.vm(1).hypercalls;
    irqs0 = b.cpu("Service_VM").counters().interrupts;
    a.ivposition = g.load<u32>(dm->regs + 0x08);
    a.sos_calls = b.vm(1).hypercalls - calls0;
    a.sos_interrupts = b.cpu("Service_VM").counters().interrupts - irqs0;
  });
  sc_core::sc_start();
  return a;
}

}  // namespace

TEST_CASE("an I/O request goes through the VM's slot in the request page: PENDING, the HSM upcall on the Service "
          "VM's vLAPIC, COMPLETE, HC_NOTIFY_REQUEST_FINISH, FREE again (acrn_insert_request, complete_ioreq)") {
  test::Bench b(test::mixed_scenario());
  REQUIRE(b.vm(3).io_shared_page_hpa != 0);
  CHECK_FALSE(b.vm(3).is_polling_ioreq);
  const Access a = one_request(b);
  CHECK(a.ivposition == 0);
  CHECK(a.sos_interrupts == 1);  // the upcall, taken by the HSM's handler
  CHECK(a.sos_calls == 1);       // acrn-dm's completion notification
  CHECK(slot_state(b, 3, 0) == hc::kIoreqStateFree);
  // The page is Service VM memory: the Service VM's EPT maps it where acrn-dm registered it.
  CHECK(b.platform->hypervisor().gpa2hpa(b.vm(1), b.platform->device_models().back()->buffer_gpa()) ==
        b.vm(3).io_shared_page_hpa);
}

TEST_CASE("an RTVM polls for I/O completion: acrn-dm makes no completion hypercall (GUEST_FLAG_IO_COMPLETION_POLLING)") {
  Scenario s = test::mixed_scenario();
  s.vms[3].vm_type = "RTVM";
  test::Bench b(s);
  CHECK(b.vm(3).is_polling_ioreq);
  const Access a = one_request(b);
  CHECK(a.ivposition == 0);
  CHECK(a.sos_interrupts == 1);
  CHECK(a.sos_calls == 0);
  CHECK(slot_state(b, 3, 0) == hc::kIoreqStateFree);
}

TEST_CASE("the upcall goes to the vector HC_SET_CALLBACK_VECTOR set: moved away from the HSM's handler, requests "
          "wait unserved") {
  test::Bench b(test::mixed_scenario());
  bool answered = false;
  i64 set = 1;
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    set = g.hypercall(hc::kSetCallbackVector, 0xE0);
  });
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(1'000'000);  // after the Service VM moved the vector
    g.load<u32>(0x8000'0000);  // an MMIO read acrn-dm would answer
    answered = true;
  });
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_MS));
  CHECK(set == 0);
  CHECK_FALSE(answered);
  CHECK(slot_state(b, 3, 0) == hc::kIoreqStatePending);
}
