// The BAR-write -> EPT-map path and trapped register accesses, driven by a
// guest program on a vCPU through the whole platform.
#include <catch2/catch.hpp>

#include "models/hv/ivshmem_device.h"
#include "tests/support/testbench.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/pci_config.h"

using namespace ivsim;

namespace {

IvshmemDevice& device_of(Platform& p, VmId vm) {
  for (const auto& d : p.hypervisor().ivshmem_devices())
    if (d->vm().id == vm) return *d;
  FAIL("no IVSHMEM device in VM " << vm);
  throw std::logic_error("unreachable");
}

const pci::Bdf kBdf = *pci::Bdf::parse("00:08.0");
constexpr u32 kBar2 = 0x18, kBar3 = 0x1C;

}  // namespace

TEST_CASE("BAR2 is not mapped before the guest writes it and programming it maps the region RW WB ignore-PAT") {
  test::Bench b(test::two_vm_scenario());
  IvshmemDevice& dev = device_of(*b.platform, 0);
  const Gpa configured = dev.config().bar_register_base(2);
  REQUIRE(configured != 0);
  REQUIRE_FALSE(b.vm(0).ept->walk(configured).present);

  u64 before = 0;
  std::optional<IvshmemGuestDevice> probed;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    before = g.load<u64>(configured);  // no mapping yet: an EPT violation nobody handles
    probed = ivshmem_probe(g, kBdf);
    g.store<u64>(probed->shmem + 0x100, 0x1122334455667788ULL);
  });
  sc_core::sc_start();

  CHECK(before == ~u64{0});
  CHECK(b.vm(0).unhandled_mmio == 1);
  REQUIRE(probed);
  CHECK(probed->shmem == configured);
  CHECK(probed->shmem_size == 2 * kMiB);
  CHECK(probed->regs_size == 256);
  const IvshmemRegion& region = dev.region();
  CHECK(b.platform->host_memory().read_u64(region.hpa + 0x100) == 0x1122334455667788ULL);
  const ept::WalkResult w = b.vm(0).ept->walk(configured + 0x100);
  REQUIRE(w.present);
  CHECK(w.hpa == region.hpa + 0x100);
  CHECK((w.leaf & ept::kRead) != 0);
  CHECK((w.leaf & ept::kWrite) != 0);
  CHECK((w.leaf & ept::kExec) == 0);
  CHECK(ept::mem_type_of(w.leaf) == ept::MemType::WB);
  CHECK((w.leaf & ept::kIgnorePat) != 0);
  // The other member has not programmed its BAR: nothing is mapped there.
  CHECK_FALSE(b.vm(2).ept->walk(device_of(*b.platform, 2).config().bar_register_base(2)).present);
}

TEST_CASE("BAR2 is unmapped while the guest sizes it and mapped again when restored") {
  test::Bench b(test::two_vm_scenario());
  IvshmemDevice& dev = device_of(*b.platform, 0);
  u64 during = 0, after = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, kBdf);
    g.store<u64>(d->shmem, 42);
    pci_cfg_write32(g, kBdf, kBar2, 0xFFFF'FFFFu);
    during = g.load<u64>(d->shmem);  // trapped: the window is gone while sizing
    pci_cfg_write32(g, kBdf, kBar2, static_cast<u32>(d->shmem));
    after = g.load<u64>(d->shmem);
  });
  sc_core::sc_start();
  CHECK(during == ~u64{0});
  CHECK(after == 42);
  CHECK(dev.shm_gpa() != 0);
}

TEST_CASE("relocating BAR2 moves the window while the backing memory and size stay") {
  test::Bench b(test::two_vm_scenario());
  IvshmemDevice& dev = device_of(*b.platform, 0);
  Gpa old_base = 0;
  const Gpa new_base = 0x41'0000'0000ULL;
  u64 at_new = 0, at_old = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, kBdf);
    old_base = d->shmem;
    g.store<u64>(d->shmem + 8, 0xABCD);
    pci_cfg_write32(g, kBdf, kBar3, static_cast<u32>(new_base >> 32));  // high half first: still the old low half
    pci_cfg_write32(g, kBdf, kBar2, static_cast<u32>(new_base) | 0xC);
    at_new = g.load<u64>(new_base + 8);
    at_old = g.load<u64>(old_base + 8);
  });
  sc_core::sc_start();
  CHECK(at_new == 0xABCD);
  CHECK(at_old == ~u64{0});
  CHECK(dev.shm_gpa() == new_base);
  const ept::WalkResult w = b.vm(0).ept->walk(new_base);
  REQUIRE(w.present);
  CHECK(w.hpa == dev.region().hpa);
  CHECK_FALSE(b.vm(0).ept->walk(old_base).present);
}

// unregister_mmio_emulation_handler frees the node whose range is exactly
// [base, base + size) (find_match_mmio_node): moving BAR0 away from where
// BAR1 also sits drops BAR0's handler, not BAR1's.
TEST_CASE("moving BAR0 off the address BAR1 shares unregisters BAR0's range and leaves BAR1's MSI-X table there") {
  test::Bench b(test::two_vm_scenario());
  IvshmemDevice& dev = device_of(*b.platform, 0);
  const u32 x = static_cast<u32>(dev.config().bar_register_base(1));
  const u32 y = static_cast<u32>(dev.config().bar_register_base(0));
  REQUIRE(x != 0);
  REQUIRE(y != 0);
  u32 vector_control = 0, before_move = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    pci_cfg_write32(g, kBdf, 0x14, x);  // BAR1 (MSI-X table) at X
    pci_cfg_write32(g, kBdf, 0x10, x);  // BAR0 (registers) at X too: BAR1's node comes first
    before_move = g.load<u32>(x + 0x0C);
    pci_cfg_write32(g, kBdf, 0x10, y);       // BAR0 moves away
    vector_control = g.load<u32>(x + 0x0C);  // MSI-X entry 0's vector control
  });
  sc_core::sc_start();
  CHECK(before_move == 1);     // hv_emulate_mmio: the first node, BAR1's, serves X
  CHECK(vector_control == 1);  // entries start masked
}

// One EPT violation per instruction: a register access across a cache line
// inside BAR0 is one trapped access of its full size, and one that runs
// past BAR0's end is refused by hv_emulate_mmio (-EIO) with #GP.
TEST_CASE("a trapped access across a cache line is one exit, and one past the end of BAR0 gets #GP") {
  test::Bench b(test::two_vm_scenario());
  u64 exits_across = 0;
  u32 across = 1;
  int straddle_vector = -1;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, kBdf);
    const auto ept_exits = [&] { return b.vm(0).exits[static_cast<std::size_t>(ExitReason::ept_violation)]; };
    g.store<u32>(d->regs, 0x5A);  // IntrMask: the request's value is 0x5A afterwards
    const u64 before = ept_exits();
    across = g.load<u32>(d->regs + 0x3E);  // bytes 0x3E-0x41: misaligned, no register acts
    exits_across = ept_exits() - before;
    try {
      g.load<u32>(d->regs + 0xFE);  // bytes 0xFE-0x101: two of them beyond BAR0
    } catch (const GuestFault& f) {
      straddle_vector = f.vector;
    }
  });
  sc_core::sc_start();
  CHECK(exits_across == 1);
  // ivshmem_mmio_handler does not set the value of a read it does not act
  // on: the guest reads what the store before it left in vcpu->req.
  CHECK(across == 0x5A);
  CHECK(straddle_vector == kVectorGp);
}

// vcpu->req keeps its value from one request to the next: an hv-land read
// that no register serves returns what the previous request left there, be
// it an MMIO write's value, a served read's, a port read's (the low half,
// under an earlier 8-byte value's upper half: the union's shared field) or
// the device model's answer (complete_ioreq).
TEST_CASE("an hv-land read no register serves returns the value the vCPU's previous I/O request left") {
  test::Bench b(test::two_vm_scenario());
  u32 after_write = 1, id = 0, after_read = 1, after_dm = 1;
  u16 from_dm = 0;
  u64 after_pio = 1;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, kBdf);
    g.store<u32>(d->regs, 0x1234'5678);  // IntrMask
    after_write = g.load<u32>(d->regs + 0x10);
    id = g.load<u32>(d->regs + 8);  // IVPosition
    after_read = g.load<u32>(d->regs + 0x14);
    g.store<u64>(d->regs + 0x18, 0xDEAD'BEEF'0000'0000);  // 8 bytes: ignored, but the request holds them
    pci_cfg_read32(g, kBdf, 0);                           // 0xCF8 written, 0xCFC read: the low half
    after_pio = g.load<u64>(d->regs + 0x20);
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, kBdf);
    // A function nothing in the hypervisor emulates: acrn-dm answers the
    // 2-byte read (the hypervisor's own refusal would leave ~0U).
    from_dm = pci_cfg_read16(g, *pci::Bdf::parse("00:1f.0"), 0);
    after_dm = g.load<u32>(d->regs + 0x10);
  });
  sc_core::sc_start();
  CHECK(after_write == 0x1234'5678u);
  CHECK(after_read == id);
  CHECK(after_pio == 0xDEAD'BEEF'1110'1AF4u);  // IVSHMEM's device and vendor IDs in the low half
  CHECK(from_dm == 0xFFFF);
  CHECK(after_dm == 0xFFFFu);
}

TEST_CASE("a trapped IVPosition read exits to the hypervisor, returns the VM id and costs what the profile says") {
  test::Bench b(test::two_vm_scenario());
  u32 id = 0;
  Timestamp t0, t1;
  u64 exits_before = 0, exits_after = 0;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, kBdf);
    exits_before = b.vm(2).exits[static_cast<std::size_t>(ExitReason::ept_violation)];
    t0 = g.timestamp();
    id = ivshmem_get_id(g, *d);
    t1 = g.timestamp();
    exits_after = b.vm(2).exits[static_cast<std::size_t>(ExitReason::ept_violation)];
  });
  sc_core::sc_start();
  CHECK(id == 2);
  CHECK(exits_after - exits_before == 1);
  const Breakdown spent = t1.cumulative - t0.cumulative;
  CHECK(spent.total() == t1.time_ps - t0.time_ps);
  CHECK(spent.get(Component::exit) == b.timing.vm_exit_entry_ps);
  CHECK(spent.get(Component::hv) == b.timing.mmio_decode_ps + b.timing.hv_mmio_handler_ps);
  // The rest is the EPT walk that found no mapping: never cached in the TLB,
  // so every trapped access walks again.
  CHECK(spent.get(Component::walk) > 0);
  CHECK(spent.total() == spent.get(Component::exit) + spent.get(Component::hv) + spent.get(Component::walk));
}

TEST_CASE("a poller sees a store one core-to-core transfer after it happens") {
  test::Bench b(test::two_vm_scenario());
  TimePs stored_at = 0, seen_at = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, kBdf);
    g.wait_until(d->shmem + 0x40, 8, Cmp::eq, 1);
    seen_at = c.now_ps();
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, kBdf);
    g.compute(1'000'000);          // long enough for the poller to be asleep on the line
    g.load<u64>(d->shmem + 0x80);  // warm the TLB: the store below pays no walk
    stored_at = c.now_ps();
    g.store<u64>(d->shmem + 0x40, 1);
  });
  sc_core::sc_start();
  REQUIRE(stored_at > 0);
  // pCPUs 3 and 5 share the die on cfl-k700-i7.
  CHECK(seen_at - stored_at == b.timing.c2c_ps[static_cast<unsigned>(CoreDistance::same_die)]);
  CHECK(b.cpu("RT_VM").finished());
}

TEST_CASE("doorbells are decoded in the hypervisor and undeliverable ones are dropped with a reason") {
  test::Bench b(test::two_vm_scenario());
  bool rt_ready = false;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, kBdf);
    g.compute(2'000'000);  // let the first doorbells find MSI-X still disabled
    rt_ready = ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), 0x31);
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, kBdf);
    ivshmem_write_doorbell(g, *d, 0, 0);   // RT has not enabled MSI-X yet
    ivshmem_write_doorbell(g, *d, 5, 0);   // VM 5 is not a member of this region
    ivshmem_write_doorbell(g, *d, 99, 0);  // beyond MAX_VM_NUM
    g.compute(20'000'000);
    ivshmem_write_doorbell(g, *d, 0, 8);  // only 8 vectors
    ivshmem_write_doorbell(g, *d, 0, 1);  // entry 1 still masked
    ivshmem_write_doorbell(g, *d, 0, 0);  // delivered
  });
  sc_core::sc_start();
  REQUIRE(rt_ready);
  const DoorbellStats& s = device_of(*b.platform, 0).region().doorbells;
  CHECK(s.sent == 6);
  CHECK(s.delivered == 1);
  CHECK(s.dropped.at("msix_disabled") == 1);
  CHECK(s.dropped.at("peer_not_in_region") == 1);
  CHECK(s.dropped.at("peer_id_out_of_range") == 1);
  CHECK(s.dropped.at("vector_out_of_range") == 1);
  CHECK(s.dropped.at("entry_masked") == 1);
  CHECK(b.vm(0).interrupts_received == 1);
  CHECK(b.vm(2).interrupts_received == 0);
}

TEST_CASE("a doorbell wakes a halted peer whose handler runs on its vCPU after exit, delivery, wake-up and ISR entry") {
  test::Bench b(test::two_vm_scenario());
  TimePs rung_at = 0, handled_at = 0;
  u64 refs_before = 0, refs = 0;
  u8 taken = 0;
  int handler_runs = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, kBdf);
    ivshmem_setup_msix(g, *d, 3, msi_address(g.apic_id()), 0x51);
    g.on_interrupt(0x51, [&](Guest& isr) {
      ++handler_runs;
      handled_at = isr.timestamp().time_ps;
    });
    taken = g.halt();
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, kBdf);
    g.compute(5'000'000);  // the RT VM is halted by now
    g.load<u32>(d->regs);  // warm the walk: the doorbell exit below walks the same tables
    refs_before = c.counters().walk_refs;
    rung_at = c.now_ps();
    ivshmem_write_doorbell(g, *d, 0, 3);
    refs = c.counters().walk_refs - refs_before;
  });
  sc_core::sc_start();
  CHECK(taken == 0x51);
  CHECK(handler_runs == 1);
  CHECK(b.cpu("RT_VM").counters().interrupts == 1);
  CHECK(b.cpu("RT_VM").counters().exits[static_cast<std::size_t>(ExitReason::hlt)] == 1);
  // The handler's first instruction: the sender's exit up to the injection
  // (walk, world switch, decode, handler), delivery, wake from HLT (the
  // idle pCPU out of C1, ACRN's scheduler, VM entry), ISR entry.
  const TimePs walk = handled_at - rung_at - b.timing.vm_exit_entry_ps - b.timing.mmio_decode_ps -
                      b.timing.hv_mmio_handler_ps - b.timing.irq_posted_delivery_ps - b.timing.c1_exit_ps -
                      b.timing.hlt_wakeup_ps - b.timing.isr_entry_ps;
  // The EPT entries the walk read (those the paging-structure caches did not
  // hold), each from the sender's cache.
  CHECK(refs >= 1);
  CHECK(refs <= 3);
  CHECK(walk == refs * b.timing.l1_hit_ps);
  CHECK(device_of(*b.platform, 0).region().doorbells.delivered == 1);
}
