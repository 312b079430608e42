#include "models/hv/ivshmem_device.h"

#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "models/core/tracer.h"
#include "models/hv/hypervisor.h"
#include "models/hv/ivshmem_region_pool.h"
#include "models/hv/vm.h"

namespace ivsim {

namespace {

// The MMIO windows of a pre- or post-launched VM's vPCI (init_vpci: res32
// and res64 from USER_VM_VIRT_PCI_MEMBASE32 and friends,
// hypervisor/include/dm/vacpi.h), each [start, end] as ACRN compares.
struct MmioWindow {
  u64 start, end;
};
constexpr MmioWindow kUserVmRes32{0x8000'0000ULL, 0xE000'0000ULL};
constexpr MmioWindow kUserVmRes64{0x40'0000'0000ULL, 0x80'0000'0000ULL};

// An access to extended config space (0x100-0xFFF) that pci_is_valid_access allows.
bool extended_access(u32 offset, unsigned size) {
  return offset >= pci::kConfigBytes && offset + size <= pci::kExtendedConfigBytes && offset % size == 0;
}

}  // namespace

IvshmemDevice::IvshmemDevice(Hypervisor& hv, Vm& vm, IvshmemRegion& region, pci::Bdf bdf, u32 bar0, u32 bar1, u64 bar2)
    : PciVdev(bdf),
      hv_(hv),
      vm_(vm),
      region_(region),
      cfg_(),
      msix_(cfg_, kMsixVectors, kBarMsix),
      regs_(vm.id),
      bar0_(bar0),
      bar1_(bar1),
      bar2_(bar2) {
  // init_ivshmem_vdev
  cfg_.init_u16(pci::kVendorId, kVendorId);
  cfg_.init_u16(pci::kDeviceId, kDeviceId);
  cfg_.init_u8(pci::kRevisionId, kRevision);
  cfg_.init_u8(pci::kBaseClass, kClass);
  if (bdf.fn == 0) cfg_.init_u8(pci::kHeaderType, pci::kHeaderTypeMultiFunction);
  cfg_.init_u16(pci::kSubsystemVendorId, kSubsystemVendor);
  cfg_.init_u16(pci::kSubsystemId, region.region_id);
  // init_ivshmem_bar: values are written, nothing is mapped yet.
  cfg_.declare_bar(kBarRegisters, pci::BarKind::mem32, IvshmemRegisters::kBarSize, false, bar0);
  cfg_.declare_bar(kBarMsix, pci::BarKind::mem32, pci::kMsixBarSize, false, bar1);
  cfg_.declare_bar(kBarShm, pci::BarKind::mem64, region.size, true, bar2);
  // write_ivshmem_vdev_cfg: BAR0-BAR3 (nr_bars = 4) follow the BAR rules,
  // the MSI-X capability write_vmsix_cap_reg's mask; every other byte is
  // stored as written in this VM's copy (pci_vdev_write_vcfg), so a guest
  // may overwrite its own view of the IDs, the class, the capability pointer
  // or BAR4/5. The device's behaviour does not read them back.
  cfg_.set_bar_count(4);
  const u32 cap = msix_.capability_offset();
  for (u32 off = 0; off < pci::kConfigBytes; ++off)
    if ((off < pci::kBar0 || off >= pci::bar_offset(4)) && (off < cap || off >= cap + pci::kMsixCapLength))
      cfg_.set_write_mask(off, 1, 0xFF);
  // init_ivshmem_bar → pci_vdev_write_vbar: each BAR's base is its
  // configured one from the start, with nothing mapped there.
  for (unsigned bar : {kBarRegisters, kBarMsix, kBarShm}) base_gpa_[bar] = cfg_.bar_register_base(bar);
  // ivshmem_server_bind_peer
  region_.doorbell_peers.at(vm.id) = this;
}

IvshmemDevice::~IvshmemDevice() { unbind_peer(); }

void IvshmemDevice::unbind_peer() {
  // ivshmem_server_unbind_peer
  if (vm_.id < region_.doorbell_peers.size() && region_.doorbell_peers[vm_.id] == this)
    region_.doorbell_peers[vm_.id] = nullptr;
}

u32 IvshmemDevice::cfg_read(u32 offset, unsigned size) {
  // read_ivshmem_vdev_cfg: pci_vdev_read_vcfg over the whole 4 KiB.
  if (extended_access(offset, size)) {
    u32 v = 0;
    std::memcpy(&v, extended_.data() + (offset - pci::kConfigBytes), size);
    return v;
  }
  return cfg_.read(offset, size);
}

void IvshmemDevice::cfg_write(u32 offset, unsigned size, u32 value) {
  // Extended space: pci_vdev_write_vcfg stores it.
  if (extended_access(offset, size)) {
    std::memcpy(extended_.data() + (offset - pci::kConfigBytes), &value, size);
    return;
  }
  // vpci_update_one_vbar: unmap at the vbar's base (ivshmem_vbar_unmap,
  // when not 0), store, map the new base if not 0. Command.MSE plays no part
  // (write_ivshmem_vdev_cfg).
  const auto update = cfg_.write(offset, size, value);
  if (!update) return;
  const unsigned bar = update->bar;
  if (base_gpa_[bar] != 0) unmap_bar(bar, base_gpa_[bar]);
  if (update->new_base != 0) check_vbar_base(bar, update->new_base);
  base_gpa_[bar] = update->new_base;
  if (update->new_base != 0) map_bar(bar, update->new_base);
}

void IvshmemDevice::unmap_all() {
  // destroy_ivshmem_vdev: vpci_update_one_vbar(i, 0, no map, unmap) for
  // BAR0-BAR3 in turn. Clearing BAR2's lower half leaves its base at the
  // upper half alone (hi << 32), where BAR3's turn unmaps again: a BAR2
  // moved above 4 GiB takes that range's mapping with it.
  for (unsigned i = 0; i < 4; ++i) {
    const unsigned bar = cfg_.is_mem64_upper(i) ? i - 1 : i;
    if (base_gpa_[bar] != 0) unmap_bar(bar, base_gpa_[bar]);
    if (const auto update = cfg_.write(pci::bar_offset(i), 4, 0)) base_gpa_[bar] = update->new_base;
  }
}

void IvshmemDevice::check_vbar_base(unsigned bar, u64 base) {
  // pci_vdev_update_vbar_base, at every write of a BAR register: a memory
  // BAR's base outside the VM's window for its half of the address space
  // (res32 below 4 GiB, res64 above), or not aligned to the BAR's size, is
  // logged and kept: the BAR is mapped there all the same. The Service VM's
  // windows are the board's MMIO32/MMIO64 (board_info.h), which the twin's
  // boards do not carry: its BARs are not checked.
  if (vm_.load_order == VmLoadOrder::service_vm) return;
  const u64 size = cfg_.bar_info(bar).size;
  const MmioWindow& res = base < (u64{1} << 32) ? kUserVmRes32 : kUserVmRes64;
  if (base >= res.start && base <= res.end && (base & (size - 1)) == 0) return;
  hv_.hv_log(LogSeverity::error,
             fmt::format("pci_vdev_update_vbar_base reprogram PCI:{:02x}:{:02x}.{:x} BAR{} to addr:0x{:x}, which is "
                         "out of mmio window[0x{:x} - 0x{:x}] or not aligned with size: 0x{:x}",
                         bdf().bus, bdf().dev, bdf().fn, bar, base, res.start, res.end, size));
}

void IvshmemDevice::map_bar(unsigned bar, u64 base) {
  const u64 size = cfg_.bar_info(bar).size;
  switch (bar) {
    case kBarRegisters:
      hv_.register_mmio_emulation_handler(vm_, base, size, this, kBarRegisters);
      hv_.ept_del_mr(vm_, base, round_up(size, kPageSize4K));
      break;
    case kBarMsix:
      hv_.register_mmio_emulation_handler(vm_, base, size, this, kBarMsix);
      hv_.ept_del_mr(vm_, base, round_up(size, kPageSize4K));
      msix_mmio_gpa_ = base;
      break;
    case kBarShm:
      hv_.ept_add_mr(vm_, region_.hpa, base, size, ept::kRead | ept::kWrite | ept::kWB | ept::kIgnorePat);
      shm_gpa_ = base;
      break;
    default:
      break;
  }
}

void IvshmemDevice::unmap_bar(unsigned bar, u64 base) {
  switch (bar) {
    case kBarRegisters:
    case kBarMsix:
      hv_.unregister_mmio_emulation_handler(vm_, base, cfg_.bar_info(bar).size);
      break;
    case kBarShm:
      hv_.ept_del_mr(vm_, base, region_.size);
      shm_gpa_ = 0;
      break;
    default:
      break;
  }
}

u32 IvshmemDevice::handler_offset(unsigned tag, Gpa gpa) const {
  if (tag == kBarMsix) return static_cast<u32>(gpa - msix_mmio_gpa_);
  return register_offset(gpa - base_gpa_[kBarRegisters]);
}

void IvshmemDevice::mmio_read(unsigned tag, Gpa gpa, unsigned size, u64& value) {
  const u32 offset = handler_offset(tag, gpa);
  if (tag == kBarMsix) {
    if (msix_.sub_dword_table_access(offset, size)) log_sub_dword_table_access();
    msix_.table_read(offset, size, value);
    return;
  }
  // ivshmem_mmio_handler sets mmio->value only for an access it acts on
  // (4 bytes, aligned, below 16): any other read returns the request's
  // previous value.
  bool acted = false;
  const u32 v = regs_.read(offset, size, acted);
  if (acted) value = v;
}

void IvshmemDevice::mmio_write(unsigned tag, Gpa gpa, unsigned size, u64 value) {
  const u32 offset = handler_offset(tag, gpa);
  if (tag == kBarMsix) {
    if (msix_.sub_dword_table_access(offset, size)) log_sub_dword_table_access();
    msix_.table_write(offset, size, value);
    return;
  }
  if (const auto req = regs_.write(offset, size, static_cast<u32>(value))) notify_peer(*req);
}

void IvshmemDevice::log_sub_dword_table_access() {
  hv_.hv_log(LogSeverity::error, "rw_vmsix_table, Only DWORD and QWORD are permitted");
}

void IvshmemDevice::notify_peer(DoorbellRequest req) {
  // ivshmem_server_notify_peer: synchronous, in the sender's exit; one
  // target, resolved in the sender's region only.
  DoorbellStats& stats = region_.doorbells;
  ++stats.sent;
  auto drop = [&](const char* reason) {
    ++stats.dropped[reason];
    hv_.record_isolation(vm_.id, fmt::format("peer {} vector {} in {}", req.peer, req.vector, region_.name),
                         std::string("doorbell_") + reason);
    spdlog::debug("VM{} doorbell to peer {} vector {} in {} dropped: {}", vm_.id, req.peer, req.vector, region_.name,
                  reason);
  };
  if (req.peer >= region_.doorbell_peers.size()) return drop("peer_id_out_of_range");  // ACRN: silent
  // The others are logged (pr_err), which a debug build writes to its
  // serial console (Hypervisor::hv_log).
  auto invalid = [&](const char* reason) {
    hv_.hv_log(
        LogSeverity::error,
        fmt::format("ivshmem_server_notify_peer,Invalid peer, ID = {}, vector index [{}] or MSI-X is disabled.\n",
                    req.peer, req.vector));
    drop(reason);
  };
  IvshmemDevice* target = region_.doorbell_peers[req.peer];
  if (!target) return invalid("peer_not_in_region");
  if (!target->msix_.enabled()) return invalid("msix_disabled");
  if (target->msix_.function_masked()) return invalid("msix_function_masked");
  if (req.vector >= target->msix_.table_count()) return invalid("vector_out_of_range");
  const pci::MsiMessage msg = target->msix_.entry(req.vector);
  if (msg.masked) {
    hv_.hv_log(LogSeverity::error,
               fmt::format("ivshmem_server_notify_peer,target msix entry [{}] is masked.\n", req.vector));
    return drop("entry_masked");
  }
  switch (hv_.inject_msi(target->vm_, msg.addr, msg.data)) {
    case Hypervisor::MsiOutcome::delivered:
      break;
    case Hypervisor::MsiOutcome::mode_dropped:
      return drop("msi_delivery_mode");
    case Hypervisor::MsiOutcome::bad_address:
    case Hypervisor::MsiOutcome::no_destination:
      return drop("msi_no_destination");
    case Hypervisor::MsiOutcome::vlapic_mode_transition:
      return drop("msi_vlapic_mode_transition");
    case Hypervisor::MsiOutcome::vlapic_mode_disabled:
      return drop("msi_vlapic_mode_disabled");
    case Hypervisor::MsiOutcome::init_signal:
      return drop("msi_init_signal");  // no interrupt: the destination only exits
  }
  if (trace::Sink* t = trace::sink()) t->doorbell(vm_.id, target->vm_.id, static_cast<u8>(msg.data & 0xFF));
  ++stats.delivered;
}

}  // namespace ivsim
