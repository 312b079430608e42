// The guest-traffic fuzz target: an input is a sequence of guest operations
// (fuzz/README.md describes the encoding) run against a platform of two
// member VMs sharing an hv-land region, a non-member VM and the Service VM.
// After every operation the target checks that isolation holds: no VM but
// the Service VM (which ACRN trusts with the whole pool) maps host memory
// that is neither its own RAM nor a region it has a device for, a member
// maps its region only where its BAR2 is, no read by the non-member returns
// the members' bytes (the region starts each input filled with a canary
// drawn afresh), and no interrupt reaches a VM outside the region. An input whose operations do not all complete is a
// hang in the twin.
//
// One SystemC elaboration per process: the platform is elaborated once, on
// the first input. Each VM's vCPU runs one long-lived guest program that
// takes the operations meant for it from the current input, in input order;
// run() hands an input over and calls sc_start(), which returns when every
// program is waiting for the next input (the kernel has nothing left to do).
// Before each input the members' devices are reset (Hypervisor::recreate_ivshmem_devices),
// each guest VM's EPT is put back as it was at launch, and the guests bring
// their devices up again, so an input runs the same from any earlier
// history, and a reproducer replays alone. The EPT needs putting back: a
// register BAR moved over guest RAM deletes the RAM's mapping there
// (ivshmem_vbar_map's ept_del_mr), and moving it away does not restore it
// (ivshmem_vbar_unmap only unregisters the handler), as in ACRN; left so, a
// later input's bring-up would fault on the hole.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <systemc>
#include <vector>

#include "models/ept/ept_table.h"
#include "platforms/board.h"
#include "platforms/platform.h"
#include "platforms/scenario.h"
#include "platforms/timing_profile.h"
#include "workloads/guest_api.h"
#include "workloads/ivshmem_driver.h"

namespace ivsim::fuzz {

// One encoded operation: 16 bytes (see fuzz/README.md).
struct GuestOp {
  std::uint8_t vm = 0;  // which guest runs it: 0 RT_VM, 1 HMI_VM (members), 2 Other_VM (not a member)
  std::uint8_t kind = 0;
  std::uint8_t size = 0;
  std::uint8_t sel = 0;
  std::uint32_t offset = 0;
  std::uint64_t value = 0;
  static constexpr std::size_t kBytes = 16;
};

enum class OpKind : std::uint8_t {
  cfg_read,      // config read through 0xCF8/0xCFC
  cfg_write,     // config write through 0xCF8/0xCFC
  pio,           // any port, any size (0xCF8-0xCFF unaligned, or a raw port)
  ecam_read,     // config read through ECAM
  ecam_write,    // config write through ECAM
  bar0,          // register BAR access
  bar1,          // MSI-X table BAR access
  bar2,          // shared-memory BAR access (the peer's BAR2 for the non-member)
  bar_move,      // write a BAR (all-ones, a new base, anything) or the command register
  doorbell,      // Doorbell register write: peer and vector
  msix_entry,    // MSI-X table entry field write
  msix_control,  // MSI-X capability message control write
  hypercall,     // VMCALL
  any_gpa,       // load or store at any guest-physical address
  compute,       // time passes
  probe,         // the driver's bring-up again
  block,         // a block copy in or out of BAR2, crossing lines and pages
  cmpxchg,       // LOCK CMPXCHG in BAR2
  lapic,         // the LAPIC's SVR, timer LVT (the xAPIC page) or TSC deadline (WRMSR)
  hlt,           // HLT, with the LAPIC timer armed to end it
  msr,           // RDMSR / WRMSR: the MSRs ACRN emulates or refuses (the TSC moved back only), or any number
  count
};

std::vector<GuestOp> decode_guest_ops(const std::uint8_t* data, std::size_t size);
std::string encode_guest_ops(const std::vector<GuestOp>& ops);

class GuestTraffic {
 public:
  static constexpr unsigned kGuests = 3;
  static constexpr std::size_t kMaxOps = 256;

  GuestTraffic();  // elaborates: once per process
  ~GuestTraffic();
  // Runs one input; aborts (IVSIM_FUZZ_CHECK) when isolation breaks or the twin hangs.
  void run(const std::uint8_t* data, std::size_t size);
  std::uint64_t ops_run() const { return ops_run_; }
  std::uint64_t guest_faults() const { return guest_faults_; }
  std::uint64_t canary() const { return canary_; }  // the last input's region fill
  Platform& platform() { return *platform_; }

 private:
  struct Step {
    bool bring_up = false;
    GuestOp op;
  };
  void program(Vcpu& cpu, unsigned guest);
  void bring_up(Guest& g, unsigned guest, bool after_reset);
  void execute(Guest& g, unsigned guest, const GuestOp& op);
  void check_isolation(const Step& s, unsigned guest);
  // A read by the non-member returned these bytes: none may be the canary's.
  void check_not_canary(const void* bytes, std::size_t n, const GuestOp& op);
  void handed(unsigned guest);              // the step of `guest` ended: start the next one
  void restore_memory_map(unsigned guest);  // its EPT as at launch (memory_map_)

  Scenario scenario_;
  Board board_;
  TimingProfile profile_;
  TimingParams timing_;
  std::unique_ptr<Platform> platform_;
  std::array<Vcpu*, kGuests> cpus_{};
  std::array<sc_core::sc_event, kGuests> go_;
  // What each guest knows of its device (the non-member: of the RT VM's).
  std::array<std::optional<IvshmemGuestDevice>, kGuests> dev_;
  std::array<u64, kGuests> interrupts_seen_{};
  // Each guest VM's EPT mappings at launch (RAM; acrn-dm maps a
  // post-launched VM's before simulated time starts).
  std::array<std::vector<ept::EptTable::Mapping>, kGuests> memory_map_;
  std::vector<Step> steps_;
  std::size_t next_ = 0;
  std::uint64_t ops_run_ = 0;
  std::uint64_t guest_faults_ = 0;
  std::uint64_t canary_ = 0;  // the region's fill for this input
};

}  // namespace ivsim::fuzz
