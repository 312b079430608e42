#include "fuzz/targets/guest_traffic.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "fuzz/targets/targets.h"
#include "models/hv/hypervisor.h"
#include "models/hv/ivshmem_device.h"
#include "models/hv/ivshmem_region_pool.h"
#include "workloads/guest_spinlock.h"
#include "workloads/pci_config.h"

namespace ivsim::fuzz {

namespace {

const char* const kGuestVm[GuestTraffic::kGuests] = {"RT_VM", "HMI_VM", "Other_VM"};
const pci::Bdf k08{0, 8, 0};
constexpr u16 kConfigAddress = 0xCF8, kConfigData = 0xCFC;
constexpr u32 kDoorbellReg = 0x0C;
constexpr u32 kMsixControl = 0x42;  // the MSI-X capability at 0x40: message control
constexpr u64 kMsiBase = 0xFEE0'0000ULL;
constexpr Gpa kXapicSvr = 0xFEE0'00F0, kXapicLvtTimer = 0xFEE0'0320;
constexpr Gpa kXapicTimerIcr = 0xFEE0'0380, kXapicTimerCcr = 0xFEE0'0390, kXapicTimerDcr = 0xFEE0'03E0;
constexpr u32 kMsrTscDeadline = 0x6E0;

// The LAPIC registers the lapic operation reaches, by index: SVR, timer LVT,
// (TSC deadline), initial count (a read: the current count), divide
// configuration. Other_VM has LAPIC passthrough and runs in x2APIC mode,
// so its registers are the physical LAPIC's MSRs; the others' the xAPIC page.
constexpr Gpa kXapicReg[5] = {kXapicSvr, kXapicLvtTimer, 0, kXapicTimerIcr, kXapicTimerDcr};
constexpr u32 kX2apicReg[5] = {0x80F, 0x832, 0, 0x838, 0x83E};
constexpr unsigned kPassthroughGuest = 2;

void lapic_write(Guest& g, unsigned guest, unsigned reg, u32 v) {
  if (guest == kPassthroughGuest)
    g.wrmsr(kX2apicReg[reg], v);
  else
    g.store<u32>(kXapicReg[reg], v);
}

unsigned io_size(u8 code) { return code % 3 == 0 ? 1 : code % 3 == 1 ? 2 : 4; }
unsigned mem_size(u8 code) { return 1u << (code % 4); }

u64 load_n(Guest& g, Gpa a, unsigned n) {
  switch (n) {
    case 1:
      return g.load<u8>(a);
    case 2:
      return g.load<u16>(a);
    case 4:
      return g.load<u32>(a);
    default:
      return g.load<u64>(a);
  }
}

void store_n(Guest& g, Gpa a, unsigned n, u64 v) {
  switch (n) {
    case 1:
      return g.store<u8>(a, static_cast<u8>(v));
    case 2:
      return g.store<u16>(a, static_cast<u16>(v));
    case 4:
      return g.store<u32>(a, static_cast<u32>(v));
    default:
      return g.store<u64>(a, v);
  }
}

u32 io_read(Guest& g, u16 port, unsigned n) { return n == 1 ? g.inb(port) : n == 2 ? g.inw(port) : g.inl(port); }
void io_write(Guest& g, u16 port, unsigned n, u32 v) {
  if (n == 1)
    g.outb(port, static_cast<u8>(v));
  else if (n == 2)
    g.outw(port, static_cast<u16>(v));
  else
    g.outl(port, v);
}

// The function an operation addresses: the members' device, a dm-land
// slot, the host bridge's slot, or any BDF.
pci::Bdf bdf_of(const GuestOp& op) {
  switch (op.sel & 3) {
    case 0:
      return k08;
    case 1:
      return pci::Bdf{0, 9, 0};
    case 2:
      return pci::Bdf{0, 0, 0};
    default:
      return pci::Bdf::from_value(static_cast<u16>(op.value >> 48));
  }
}

// Where the guest thinks a BAR is, or 0.
Gpa bar_base(const std::optional<IvshmemGuestDevice>& d, unsigned bar) {
  if (!d) return 0;
  return bar == 0 ? d->regs : bar == 1 ? d->msix_table : d->shmem;
}

}  // namespace

std::vector<GuestOp> decode_guest_ops(const std::uint8_t* data, std::size_t size) {
  std::vector<GuestOp> ops;
  for (std::size_t at = 0; at + GuestOp::kBytes <= size && ops.size() < GuestTraffic::kMaxOps; at += GuestOp::kBytes) {
    const std::uint8_t* p = data + at;
    GuestOp op;
    op.vm = static_cast<u8>(p[0] % GuestTraffic::kGuests);
    op.kind = static_cast<u8>(p[1] % static_cast<u8>(OpKind::count));
    op.size = p[2];
    op.sel = p[3];
    std::memcpy(&op.offset, p + 4, 4);
    std::memcpy(&op.value, p + 8, 8);
    ops.push_back(op);
  }
  return ops;
}

std::string encode_guest_ops(const std::vector<GuestOp>& ops) {
  std::string out;
  for (const GuestOp& op : ops) {
    char rec[GuestOp::kBytes];
    rec[0] = static_cast<char>(op.vm);
    rec[1] = static_cast<char>(op.kind);
    rec[2] = static_cast<char>(op.size);
    rec[3] = static_cast<char>(op.sel);
    std::memcpy(rec + 4, &op.offset, 4);
    std::memcpy(rec + 8, &op.value, 8);
    out.append(rec, sizeof rec);
  }
  return out;
}

GuestTraffic::GuestTraffic() {
  // Two members of hv-land region shm0 (a pre-launched and a post-launched
  // VM, each with the device at 00:08.0), the Service VM that launches the
  // post-launched one and serves its device model, and a pre-launched VM
  // that is not a member.
  scenario_.name = "fuzz-guest-traffic";
  scenario_.board = "cfl-k700-i7";
  scenario_.vms = {make_vm(0, "RT_VM", LoadOrder::pre_launched, {3}, 64),
                   make_vm(1, "Service_VM", LoadOrder::service_vm, {0}, 512),
                   make_vm(2, "HMI_VM", LoadOrder::post_launched, {5}, 64),
                   make_vm(3, "Other_VM", LoadOrder::pre_launched, {6}, 64)};
  scenario_.vms[3].lapic_passthrough = true;  // its LAPIC the physical one, once in x2APIC mode
  RegionConfig r;
  r.name = "shm0";
  r.size_mib = 2;
  r.region_id = 7;
  r.members = {{"RT_VM", k08}, {"HMI_VM", k08}};
  scenario_.regions = {r};
  board_ = load_board(scenario_.board, {});
  profile_ = load_timing_profile(board_.timing_profile, {});
  timing_ = resolve_timing(profile_);
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(1, sc_core::SC_US));
  platform_ = std::make_unique<Platform>(scenario_, board_, timing_);
  for (unsigned i = 0; i < kGuests; ++i) {
    cpus_[i] = platform_->vcpu(kGuestVm[i], 0);
    cpus_[i]->set_program([this, i](Vcpu& c) { program(c, i); });
    memory_map_[i] = platform_->hypervisor().vm(cpus_[i]->config().vm)->ept->mappings(0, ept::kGpaLimit);
  }
}

void GuestTraffic::restore_memory_map(unsigned guest) {
  Hypervisor& hv = platform_->hypervisor();
  Vm& vm = *hv.vm(cpus_[guest]->config().vm);
  const auto now = vm.ept->mappings(0, ept::kGpaLimit);
  const auto same = [](const ept::EptTable::Mapping& a, const ept::EptTable::Mapping& b) {
    return a.gpa == b.gpa && a.hpa == b.hpa && a.size == b.size && a.entry == b.entry;
  };
  if (std::equal(now.begin(), now.end(), memory_map_[guest].begin(), memory_map_[guest].end(), same)) return;
  for (const auto& m : now) hv.ept_del_mr(vm, m.gpa, m.size);
  for (const auto& m : memory_map_[guest])
    hv.ept_add_mr(vm, m.hpa, m.gpa, m.size, m.entry & (ept::kRwx | ept::kMemTypeMask | ept::kIgnorePat));
}

GuestTraffic::~GuestTraffic() = default;

void GuestTraffic::run(const std::uint8_t* data, std::size_t size) {
  Hypervisor& hv = platform_->hypervisor();
  // A fresh start for the input: the VMs' devices as configured, unmapped,
  // and their EPT as at launch.
  for (unsigned i = 0; i < kGuests; ++i) {
    hv.recreate_ivshmem_devices(*hv.vm(cpus_[i]->config().vm));
    restore_memory_map(i);
  }
  // The members' bytes: the region filled with a canary no input can know
  // (drawn afresh each input, no zero byte, each 4-byte half distinct), so
  // a non-member's read that returns any of it has reached the region.
  static std::mt19937_64 rng{std::random_device{}()};
  do canary_ = rng() | 0x0101'0101'0101'0101ULL;
  while (static_cast<u32>(canary_) == static_cast<u32>(canary_ >> 32));
  const IvshmemRegion* region = hv.ivshmem_pool()->find("hv:/shm0");
  std::vector<u64> page(kPageSize4K / 8, canary_);
  for (u64 off = 0; off < region->size; off += kPageSize4K)
    platform_->host_memory().write(region->hpa + off, page.data(), kPageSize4K);
  steps_.clear();
  for (unsigned i = 0; i < kGuests; ++i) steps_.push_back({true, GuestOp{static_cast<u8>(i)}});
  for (const GuestOp& op : decode_guest_ops(data, size)) steps_.push_back({false, op});
  next_ = 0;
  go_[steps_[0].op.vm].notify(sc_core::SC_ZERO_TIME);
  sc_core::sc_start();
  IVSIM_FUZZ_CHECK(next_ == steps_.size(),
                   fmt::format("the twin stopped with step {} of {} unfinished (a hang)", next_, steps_.size()));
}

void GuestTraffic::program(Vcpu& cpu, unsigned guest) {
  Guest g(cpu);
  for (;;) {
    while (next_ >= steps_.size() || steps_[next_].op.vm != guest) cpu.wait_outside_model(go_[guest]);
    const Step& s = steps_[next_];
    if (s.bring_up) {
      bring_up(g, guest, true);
    } else {
      try {
        execute(g, guest, s.op);
      } catch (const GuestFault&) {
        // An exception the hypervisor injected (#UD for a VMCALL from a VM
        // without hypercall rights, #GP for a forbidden MSR): the guest's
        // handler takes it.
        ++guest_faults_;
      } catch (const std::runtime_error& e) {
        // A fault the guest took (the twin's guest faults: a page fault,
        // LOCK on an address that is not RAM) ends that operation, as a
        // guest kernel's fixup would; anything else is a bug.
        IVSIM_FUZZ_CHECK(std::string(e.what()).rfind("guest ", 0) == 0, e.what());
        ++guest_faults_;
      }
      ++ops_run_;
    }
    check_isolation(s, guest);
    ++next_;
    if (next_ < steps_.size() && steps_[next_].op.vm != guest) {
      cpu.synchronize();
      go_[steps_[next_].op.vm].notify(sc_core::SC_ZERO_TIME);
    }
  }
}

void GuestTraffic::bring_up(Guest& g, unsigned guest, bool after_reset) {
  // A rebooted kernel: its PCI config lock is free, the address latch clear,
  // its LAPIC enabled with the timer's LVT masked in one-shot mode (which
  // disarms a TSC deadline: a change of mode), its initial count 0 (which
  // disarms a count-down) and its divide configuration reset.
  g.store<u32>(pci_config_lock_word(g), 0);
  g.outl(kConfigAddress, 0);
  if (guest == kPassthroughGuest && !(g.rdmsr(0x1B) & VLapic::kApicBaseExtd)) g.enable_x2apic();
  lapic_write(g, guest, 0, VLapic::kSvrBooted);
  lapic_write(g, guest, 1, VLapic::kLvtMasked);
  lapic_write(g, guest, 3, 0);
  lapic_write(g, guest, 4, 0);
  if (guest == 2) {
    // Not a member: no device answers at 00:08.0. It keeps the RT VM's BAR
    // addresses to aim at.
    IVSIM_FUZZ_CHECK(!ivshmem_probe(g, k08), "the non-member VM found an IVSHMEM device");
    dev_[2] = dev_[0];
    interrupts_seen_[2] = 0;
    return;
  }
  dev_[guest] = ivshmem_probe(g, k08);
  // After a reset the device is as configured. A later probe may find
  // nothing: the guest may have overwritten the vendor ID or class in its
  // own view of config space, as pci_vdev_write_vcfg lets it.
  if (!after_reset && !dev_[guest]) return;
  IVSIM_FUZZ_CHECK(dev_[guest].has_value(), fmt::format("{} found no IVSHMEM device after its reset", kGuestVm[guest]));
  // Vectors 0 and 1 to its vCPU 0 by its APIC ID, as a driver sets them up.
  const u64 msi = kMsiBase | (u64{g.apic_id()} << 12);
  ivshmem_setup_msix(g, *dev_[guest], 0, msi, 0x40 + guest);
  ivshmem_setup_msix(g, *dev_[guest], 1, msi, 0x50 + guest);
}

void GuestTraffic::execute(Guest& g, unsigned guest, const GuestOp& op) {
  std::optional<IvshmemGuestDevice>& dev = dev_[guest];
  const bool write = (op.sel & 0x80) != 0;
  switch (static_cast<OpKind>(op.kind)) {
    case OpKind::cfg_read:
    case OpKind::cfg_write: {
      const u32 reg = op.offset & 0xFF;
      const bool enable = (op.sel & 0x40) == 0;
      const u32 address = (enable ? 0x8000'0000u : 0) | (u32{bdf_of(op).value()} << 8) | (reg & 0xFC);
      g.outl(kConfigAddress, address);
      const u16 port = static_cast<u16>(kConfigData + (reg & 3));
      if (static_cast<OpKind>(op.kind) == OpKind::cfg_write)
        io_write(g, port, io_size(op.size), static_cast<u32>(op.value));
      else
        io_read(g, port, io_size(op.size));
      break;
    }
    case OpKind::pio: {
      const u16 port =
          (op.sel & 0x40) ? static_cast<u16>(op.offset) : static_cast<u16>(kConfigAddress + (op.offset & 7));
      // A reset request reboots the VM, or from the VM of highest severity
      // the host, powering every VM off (tests/model/test_reboot.cpp): the
      // steps after it could never run, and the platform serves the inputs
      // after this one. The harness writes the value without the request:
      // for 0xCF9 without bits 2 and 3, since acrn-dm's reset_handler (a
      // post-launched VM's) resets on either alone, where the hypervisor
      // wants bit 2 with bit 1 or 3 (Hypervisor::is_reset_request).
      u32 value = static_cast<u32>(op.value);
      if (write && port == Hypervisor::kResetControlPort && io_size(op.size) == 1)
        value &= ~0xCu;
      else if (write && Hypervisor::is_reset_request(port, io_size(op.size), value))
        value &= ~0xFFu;
      if (write)
        io_write(g, port, io_size(op.size), value);
      else
        io_read(g, port, io_size(op.size));
      break;
    }
    case OpKind::ecam_read:
    case OpKind::ecam_write: {
      const Gpa a = pci_ecam_address(bdf_of(op), op.offset & 0xFFF);
      if (static_cast<OpKind>(op.kind) == OpKind::ecam_write)
        store_n(g, a, mem_size(op.size), op.value);
      else
        load_n(g, a, mem_size(op.size));
      break;
    }
    case OpKind::bar0:
    case OpKind::bar1:
    case OpKind::bar2: {
      const unsigned bar = op.kind - static_cast<u8>(OpKind::bar0);
      const u64 span = bar == 0 ? 0x100 : bar == 1 ? 0x1000 : 2 * kMiB + kPageSize4K;
      const Gpa a = bar_base(dev, bar) + op.offset % span;
      if (write) {
        store_n(g, a, mem_size(op.size), op.value);
      } else {
        const u64 v = load_n(g, a, mem_size(op.size));
        if (guest == 2) check_not_canary(&v, mem_size(op.size), op);
      }
      break;
    }
    case OpKind::bar_move: {
      const u32 reg = op.sel % 6 == 5 && (op.size & 4) ? pci::kCommand : pci::bar_offset(op.sel % 6);
      u32 v = static_cast<u32>(op.value);
      switch (op.size % 4) {
        case 0:
          v = 0xFFFF'FFFFu;  // sizing
          break;
        case 1:
          v = 0x8000'0000u + (static_cast<u32>(op.value) & 0x3FF) * 0x10'0000u;  // a plausible new base
          break;
        default:
          break;
      }
      g.outl(kConfigAddress, pci_config_address(k08, reg));
      if (reg == pci::kCommand)
        g.outw(kConfigData, static_cast<u16>(v));
      else
        g.outl(kConfigData, v);
      if (guest != 2 && dev) {
        // The guest reads back where its BARs are now.
        auto read = [&](u32 r) {
          g.outl(kConfigAddress, pci_config_address(k08, r));
          return g.inl(kConfigData);
        };
        dev->regs = read(pci::bar_offset(0)) & ~0xFu;
        dev->msix_table = read(pci::bar_offset(1)) & ~0xFu;
        dev->shmem = (u64{read(pci::bar_offset(3))} << 32) | (read(pci::bar_offset(2)) & ~0xFu);
      }
      break;
    }
    case OpKind::doorbell:
      // Peer in bits 31:16, vector in 15:0.
      g.store<u32>(bar_base(dev, 0) + kDoorbellReg, static_cast<u32>(op.value));
      break;
    case OpKind::msix_entry: {
      const unsigned entry = op.sel % 10;  // 8 entries, then past the table
      const unsigned field = op.size % 4;  // address low, address high, data, vector control
      u32 v = static_cast<u32>(op.value);
      if (field == 0 && (op.value >> 63)) v = static_cast<u32>(kMsiBase) | (v & 0xFF00Cu);  // a valid MSI address
      g.store<u32>(bar_base(dev, 1) + 16 * entry + 4 * field, v);
      break;
    }
    case OpKind::msix_control:
      g.outl(kConfigAddress, pci_config_address(k08, kMsixControl));
      g.outw(static_cast<u16>(kConfigData + 2), static_cast<u16>(op.value));
      break;
    case OpKind::hypercall:
      g.hypercall(op.value);
      break;
    case OpKind::any_gpa: {
      const Gpa a = (op.sel & 1) ? op.value : (op.value & 0xFFFF'FFFFu);
      if (write) {
        store_n(g, a, mem_size(op.size), op.offset);
      } else {
        const u64 v = load_n(g, a, mem_size(op.size));
        // Not through the APIC-access page, which every VM maps (ACRN's
        // vlapic_create): in x2APIC mode a member can hand Other_VM any
        // bytes there (docs/devices.md).
        const bool apic_page = a + mem_size(op.size) > VLapic::kDefaultBase && a < VLapic::kDefaultBase + kPageSize4K;
        if (guest == 2 && !apic_page) check_not_canary(&v, mem_size(op.size), op);
      }
      break;
    }
    case OpKind::compute:
      g.compute(op.value & 0xF'FFFF);
      break;
    case OpKind::probe:
      bring_up(g, guest, false);
      break;
    case OpKind::block: {
      u8 buf[256];
      const u64 len = 1 + (op.value & 0xFF);
      const Gpa a = bar_base(dev, 2) + op.offset % (2 * kMiB + kPageSize4K);
      if (write) {
        std::memset(buf, static_cast<int>(op.value >> 8), sizeof buf);
        g.write(a, buf, len);
      } else {
        g.read(a, buf, len);
        if (guest == 2) check_not_canary(buf, len, op);
      }
      break;
    }
    case OpKind::cmpxchg: {
      const Gpa a = bar_base(dev, 2) + op.offset % (2 * kMiB + kPageSize4K);
      if (op.size & 1)
        g.cmpxchg64(a, op.value, ~op.value);
      else
        g.cmpxchg32(a, static_cast<u32>(op.value), static_cast<u32>(op.value >> 32));
      break;
    }
    case OpKind::lapic: {
      // The registers a driver writes to quiet its LAPIC or time a wait
      // (the SVR's software enable, the timer's LVT, its deadline, its
      // initial count and divide configuration). The non-member's timer LVT
      // stays masked: it programs no interrupt. A deadline is 0, passed, or
      // at most 2^24 TSC ticks (about 5 ms) away, and an initial count at
      // most 2^16 (2^23 ticks at divide-by-128): an input runs until the
      // kernel has nothing left to do, and a timer armed for the far future
      // would carry the clock there. A count is at least 256, so that a
      // periodic timer's period is not a few picoseconds.
      const unsigned reg = (op.sel & 0x3F) % 5;  // bits 7 and 6 aside
      if (reg == 2) {
        const u64 tsc = g.rdtsc();
        g.wrmsr(kMsrTscDeadline, (op.size & 1) ? tsc + (op.value & 0xF'FFFF) : op.value % (tsc + (u64{1} << 24)));
      } else if (!write) {
        if (guest == kPassthroughGuest)
          g.rdmsr(kX2apicReg[reg] + (reg == 3 ? 1 : 0));  // 0x839: the current count
        else
          load_n(g, reg == 3 ? kXapicTimerCcr : kXapicReg[reg], 4);
      } else if (reg == 3) {
        lapic_write(g, guest, 3, (op.value & 0xFFFF) == 0 ? 0 : std::max<u32>(op.value & 0xFFFF, 256));
      } else {
        u32 v = static_cast<u32>(op.value);
        if (reg == 1 && (op.size & 2)) v = (v & VLapic::kLvtMasked) | VLapic::kLvtTimerTscDeadline | (0x40 + guest);
        if (reg == 1 && guest == 2) v |= VLapic::kLvtMasked;
        lapic_write(g, guest, reg, v);
      }
      break;
    }
    case OpKind::hlt: {
      // HLT as an idle loop runs it, with a wake-up on the way: the LAPIC
      // software-enabled, the timer unmasked at a vector of the highest
      // class (no handler in service blocks it: each ends with an EOI) and
      // armed, by a TSC deadline at most 2^20 ticks away or a one-shot
      // count of at least 1, at whatever divide configuration the guest
      // left. An interrupt already pending (a doorbell, an earlier timer)
      // ends the halt at once. The non-member programs no interrupt, so
      // nothing would wake it: it does not halt, as no guest halts with no
      // wake-up to come (that hang would be the guest's, not the twin's).
      if (guest == kPassthroughGuest) break;
      const u32 vector = 0xE0 + guest;
      lapic_write(g, guest, 0, VLapic::kSvrBooted);
      if (op.size & 1) {
        lapic_write(g, guest, 1, vector);  // one-shot count-down
        lapic_write(g, guest, 3, std::max<u32>(op.value & 0xFFFF, 1));
      } else {
        lapic_write(g, guest, 1, VLapic::kLvtTimerTscDeadline | vector);
        g.wrmsr(kMsrTscDeadline, g.rdtsc() + (op.value & 0xF'FFFF));
      }
      g.halt();
      break;
    }
    case OpKind::msr: {
      // The MSRs ACRN emulates or refuses, read or written with any value
      // (PAT and MTRR types that change memory types, Hyper-V pages the
      // hypervisor writes at any GPA of the VM), or any MSR number (outside
      // the bitmap's ranges #GP, unintercepted the guest's error). Two
      // exceptions: the TSC and TSC_ADJUST only move the guest's TSC back
      // (the lapic operation takes its deadline modulo the guest's TSC, which
      // less a positive offset could wrap to the far future, a timer the
      // guest asked for but that would carry the clock there), and no
      // Hyper-V page goes over the kernel
      // page that holds the guest's PCI config lock (a non-zero word there
      // would be the guest's own hang; these guests do not page: the
      // lock's GVA is its GPA).
      constexpr u32 kMsrs[] = {0x10,       0x3B,       0x277,      0x2FF,      0x250,      0x26F,
                               0xFE,       0x1A0,      0x199,      0x3A,       0x17A,      0x40000000u,
                               0x40000001, 0x40000002, 0x40000020, 0x40000021, 0x40000022, 0x200};
      constexpr unsigned kPicks = sizeof kMsrs / sizeof kMsrs[0];
      const unsigned pick = op.sel & 0x3F;
      const u32 m = pick < kPicks ? kMsrs[pick] : op.offset;
      if (!write) {
        (void)g.rdmsr(m);
        break;
      }
      u64 v = op.value;
      if (m == 0x10) v = g.rdtsc() - (op.value & 0xF'FFFF);
      if (m == 0x3B) v = g.rdmsr(0x3B) - (op.value & 0xF'FFFF);
      const bool hyperv_page = m == 0x40000001 || m == 0x40000021;
      if (hyperv_page && page_base(v) == page_base(pci_config_lock_word(g))) v &= ~u64{1};
      g.wrmsr(m, v);
      break;
    }
    case OpKind::count:
      break;
  }
}

void GuestTraffic::check_not_canary(const void* bytes, std::size_t n, const GuestOp& op) {
  // Any 4 bytes of the canary, at any alignment the fill has (8-byte words,
  // so a 4-byte window starting at any byte of a word), give it away.
  u8 pattern[16];
  std::memcpy(pattern, &canary_, 8);
  std::memcpy(pattern + 8, &canary_, 8);
  const u8* b = static_cast<const u8*>(bytes);
  for (std::size_t i = 0; i + 4 <= n; ++i)
    for (unsigned k = 0; k < 8; ++k)
      IVSIM_FUZZ_CHECK(std::memcmp(b + i, pattern + k, 4) != 0,
                       fmt::format("step {}: Other_VM (not a member) read the members' bytes (kind {}, offset {:#x}, "
                                   "value {:#x})",
                                   next_, op.kind, op.offset, op.value));
}

void GuestTraffic::check_isolation(const Step& s, unsigned guest) {
  // Messages are made only when a check fails: this runs after every operation.
  const auto after = [&] {
    return s.bring_up ? fmt::format("{}'s bring-up", kGuestVm[guest])
                      : fmt::format("step {} ({} kind {})", next_, kGuestVm[guest], s.op.kind);
  };
  Hypervisor& hv = platform_->hypervisor();
  const IvshmemRegion* region = hv.ivshmem_pool()->find("hv:/shm0");
  for (Vm* vm : hv.vms()) {
    // ACRN maps the whole hv-land pool into the Service VM (trusted).
    if (vm->load_order == VmLoadOrder::service_vm) continue;
    const IvshmemDevice* dev = nullptr;
    for (const auto& d : hv.ivshmem_devices())
      if (d->vm().id == vm->id) dev = d.get();
    for (const auto& m : vm->ept->mappings(0, ept::kGpaLimit)) {
      if (m.hpa >= vm->ram_hpa && m.hpa + m.size <= vm->ram_hpa + vm->ram_size) continue;  // its own RAM
      // vlapic_create's APIC-access page, the one every VM's EPT maps at
      // 0xFEE00000 (an ACRN mapping every VM shares, docs/devices.md).
      if (m.gpa == VLapic::kDefaultBase && m.size == kPageSize4K && m.hpa == platform_->layout().apic_access_page)
        continue;
      const bool in_region = m.hpa >= region->hpa && m.hpa + m.size <= region->hpa + region->size;
      const auto what = [&] {
        return fmt::format(
            "after {}: {} maps GPA {:#x} to HPA {:#x} ({:#x} bytes); its RAM is HPA {:#x}+{:#x}, the "
            "region HPA {:#x}+{:#x}",
            after(), vm->name, m.gpa, m.hpa, m.size, vm->ram_hpa, vm->ram_size, region->hpa, region->size);
      };
      IVSIM_FUZZ_CHECK(in_region && dev != nullptr, "host memory outside its RAM and its regions: " + what());
      // Where BAR2 is, or its alias: EPT tables index GPA bits 47:0.
      IVSIM_FUZZ_CHECK(dev->shm_gpa() != 0 && ((m.gpa - dev->shm_gpa()) & (ept::kGpaLimit - 1)) == m.hpa - region->hpa,
                       "the region mapped where its BAR2 is not: " + what());
    }
  }
  // The non-member never takes an interrupt: it programs no interrupt of its own.
  const Vm& other = *hv.vm(cpus_[2]->config().vm);
  IVSIM_FUZZ_CHECK(other.interrupts_received == 0 && cpus_[2]->counters().interrupts == 0,
                   fmt::format("after {}: an interrupt reached Other_VM, not a member", after()));
}

}  // namespace ivsim::fuzz
