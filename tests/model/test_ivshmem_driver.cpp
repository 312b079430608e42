// The guest IVSHMEM driver's calls behave as Zephyr's (virt_ivshmem.c):
// ivshmem_get_mem, _get_id, _get_vectors, _int_peer (-EINVAL for a vector
// out of range, -ENOSYS without a doorbell, as on dm-land),
// _register_handler (a k_poll_signal raised with the vector); discovery by
// BDF and by index.
#include <systemc>

#include <catch2/catch.hpp>

#include "tests/support/testbench.h"
#include "workloads/ivshmem_driver.h"

using namespace ivsim;

namespace {
const pci::Bdf k08 = *pci::Bdf::parse("00:08.0");
const pci::Bdf k09 = *pci::Bdf::parse("00:09.0");
}  // namespace

TEST_CASE("driver: hv-land and dm-land devices found by index and by BDF, with Zephyr's answers") {
  test::Bench b(test::mixed_scenario());
  std::vector<pci::Bdf> found;
  u64 hv_size = 0, dm_size = 0;
  Gpa hv_mem = 0, dm_mem = 0;
  u32 hv_id = 0, dm_id = 0;
  u16 hv_vectors = 0, dm_vectors = 0;
  int rc_ok = 1, rc_range = 0, rc_dm = 0, rc_reg_dm = 0, rc_reg_range = 0;
  bool second_is_09 = false, third_missing = false;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    found = ivshmem_enumerate(g);
    const auto hv = ivshmem_find(g, 0);
    const auto dm = ivshmem_find(g, 1);
    second_is_09 = dm && dm->bdf == k09;
    third_missing = !ivshmem_find(g, 2);
    hv_size = ivshmem_get_mem(g, *hv, &hv_mem);
    dm_size = ivshmem_get_mem(g, *dm, &dm_mem);
    hv_id = ivshmem_get_id(g, *hv);
    dm_id = ivshmem_get_id(g, *dm);
    hv_vectors = ivshmem_get_vectors(g, *hv);
    dm_vectors = ivshmem_get_vectors(g, *dm);
    rc_ok = ivshmem_int_peer(g, *hv, 0, 7);
    rc_range = ivshmem_int_peer(g, *hv, 0, 8);
    rc_dm = ivshmem_int_peer(g, *dm, 3, 0);
    KPollSignal s;
    rc_reg_dm = ivshmem_register_handler(g, *dm, &s, 0);
    rc_reg_range = ivshmem_register_handler(g, *hv, &s, 8);
  });
  sc_core::sc_start();
  CHECK(found == std::vector<pci::Bdf>{k08, k09});
  CHECK(second_is_09);
  CHECK(third_missing);
  CHECK(hv_size == 2 * kMiB);
  CHECK(dm_size == 2 * kMiB);
  CHECK(hv_mem != 0);
  CHECK(dm_mem != 0);
  CHECK(hv_mem != dm_mem);
  CHECK(hv_id == 2);  // IVPosition = VM ID
  CHECK(dm_id == 0);  // acrn-dm keeps no IVPosition: it reads 0
  CHECK(hv_vectors == 8);  // ACRN's MSI-X table
  CHECK(dm_vectors == 0);  // no MSI-X: no doorbell
  CHECK(rc_ok == 0);
  CHECK(rc_range == -kEINVAL);
  CHECK(rc_dm == -kENOSYS);
  CHECK(rc_reg_dm == -kENOSYS);
  CHECK(rc_reg_range == -kEINVAL);
  // The refused calls wrote nothing: dm-land saw no doorbell write.
  for (const auto& dm : b.platform->device_models())
    for (const auto& d : dm->devices()) CHECK(d->registers().doorbell_writes() == 0);
}

TEST_CASE("driver: ivshmem_register_handler raises the k_poll_signal with the vector, nullptr unregisters") {
  test::Bench b(test::two_vm_scenario());
  KPollSignal signal;
  int result = -1;
  u64 raised_after_unregister = 0;
  bool ready = false, done = false;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    REQUIRE(ivshmem_register_handler(g, *d, &signal, 5) == 0);
    ready = true;
    while (!signal.signaled) g.halt();
    result = signal.result;
    REQUIRE(ivshmem_register_handler(g, *d, nullptr, 5) == 0);
    done = true;
    g.compute(5'000'000);
    raised_after_unregister = signal.raised;
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    while (!ready) g.compute(1000);
    REQUIRE(ivshmem_int_peer(g, *d, 0, 5) == 0);
    while (!done) g.compute(1000);
    REQUIRE(ivshmem_int_peer(g, *d, 0, 5) == 0);
  });
  sc_core::sc_start();
  CHECK(result == 5);
  CHECK(signal.raised == 1);
  CHECK(raised_after_unregister == 1);
}
