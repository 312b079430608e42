// A vCPU's memory-management unit: the guest's own 4-level paging over the
// VM's EPT, with the translation caches of an Intel core.
//
// A translation looks in the L1 dTLB, then the STLB, then walks. The walk is
// two-dimensional (Intel SDM Vol. 3C, "EPT Translation Mechanism"): CR3 and
// every guest paging-structure pointer are guest-physical, so each is itself
// translated through the EPT before the guest entry is read, and so is the
// final guest-physical address. With 4-level guest paging over a 4-level EPT
// and no cache hits that is 4 x (4 + 1) + 4 = 24 references.
//
// Paging-structure caches cut the walk short (SDM Vol. 3A "Paging-Structure
// Caches" and Vol. 3C "Information That May Be Cached"): the guest PML4E,
// PDPTE and PDE caches hold combined entries (the upper bits of a linear
// address -> the host-physical address of the next guest table), and the EPT
// paging-structure cache holds guest-physical entries (the upper bits of a
// guest-physical address -> the next EPT table). TLB entries are combined
// mappings, linear -> host-physical, of the smaller of the guest and EPT page
// sizes.
//
// Plain C++: the walker reads entries from host memory and returns every
// reference it made, in order; the vCPU times them through the cache model.
// Entries read are never written back: the guest bring-up sets the Accessed
// and Dirty bits itself (as Linux does for kernel mappings), and ivsim's EPTs
// run without A/D flags, so no walk needs a locked update.
#pragma once

#include <array>
#include <utility>

#include "models/core/timing.h"
#include "models/core/types.h"
#include "models/cpu/assoc_cache.h"
#include "models/cpu/vmcs.h"
#include "models/cpu/x86_paging.h"
#include "models/ept/ept_table.h"
#include "models/host/host_memory.h"

namespace ivsim {

// Sizes of the translation caches, from the timing profile. All zero (the
// default) means no caches at all: every translation walks in full.
struct MmuGeometry {
  unsigned dtlb_entries = 0, dtlb_ways = 0;
  unsigned stlb_entries = 0, stlb_ways = 0;
  std::array<unsigned, 3> guest_psc_entries{};  // PML4E, PDPTE, PDE caches (fully associative)
  unsigned ept_psc_entries = 0;                 // EPT PML4E/PDPTE/PDE entries, one fully associative cache

  static MmuGeometry from(const TimingParams& t);
};

enum class WalkDim : u8 { guest, ept };

// One paging-structure entry the walk read.
struct WalkRef {
  Hpa hpa = 0;  // host-physical address of the 8-byte entry
  WalkDim dim = WalkDim::guest;
  u8 level = 0;  // 0 = PML4 ... 3 = PT, of its own dimension
};

// 4 guest levels x (4 EPT + 1 guest) + 4 EPT for the final address.
constexpr unsigned kMaxWalkRefs = 24;

struct Translation {
  enum class Status : u8 {
    ok,
    guest_fault,          // #PF: a guest entry not present, a write to a read-only page, a non-canonical address
    ept_violation,        // the final guest-physical address is not mapped (or not writable) in the EPT: MMIO
    table_ept_violation,  // a guest paging structure is not in EPT-mapped memory (a broken guest)
    // An EPT entry the walk read is misconfigured (ept::WalkResult::misconfigured); gpa: the address walked.
    ept_misconfig,
  };
  enum class Source : u8 { dtlb, stlb, walk };

  Status status = Status::ok;
  Source source = Source::walk;
  Gpa gpa = 0;                                // of the accessed address (for an EPT violation: the faulting address)
  Hpa hpa = 0;                                // valid when ok
  unsigned page_shift = 0;                    // the TLB entry's page: 12, 21 or 30
  bool writable = false;                      // guest R/W on every level and EPT write
  bool uncached = false;                      // memory type UC or WC (models/cpu/memory_type.h)
  x86::Level fault_level = x86::Level::pml4;  // guest_fault: where the walk stopped
  Gpa fault_gpa = 0;                          // table_ept_violation: the table's address

  // Every reference, in the order the walker made it.
  unsigned refs = 0;
  std::array<WalkRef, kMaxWalkRefs> ref{};

  // Whether the translation now sits in the L1 dTLB, and the dTLB entry its
  // fill evicted ([evicted_va, evicted_va + evicted_size) is no longer
  // cached): a host-side copy of the dTLB follows these.
  bool in_dtlb = false;
  bool dtlb_evicted = false;
  Gva evicted_va = 0;
  u64 evicted_size = 0;
};

struct MmuCounters {
  u64 translations = 0;
  u64 dtlb_hits = 0;
  u64 stlb_hits = 0;
  u64 walks = 0;
  u64 guest_refs = 0;
  u64 ept_refs = 0;
  std::array<u64, 3> guest_psc_hits{};  // PML4E, PDPTE, PDE cache hits (the deepest one that hit)
  u64 ept_psc_hits = 0;
  u64 faults = 0;  // guest faults and EPT violations
};

class Mmu {
 public:
  // `ept` nullptr: a native machine, guest-physical = host-physical (the
  // reference the nested walk is compared with).
  Mmu(const HostMemory& mem, const ept::EptTable* ept, const MmuGeometry& geometry);

  // MOV to CR3. The first one switches guest paging on (the model's shortcut
  // for the CR0/CR4/EFER set-up before it) and flushes every linear
  // translation; later ones flush the non-global TLB entries and the guest
  // paging-structure caches, as without PCIDs. EPT caches are kept: they are
  // guest-physical and only INVEPT drops them.
  void write_cr3(u64 cr3);
  bool paging() const { return paging_; }
  u64 cr3() const { return cr3_; }
  // Processor reset (INIT): paging off, every cached translation gone.
  void power_on() {
    flush_all();
    paging_ = false;
    cr3_ = 0;
    pat_ = kPatPowerOn;
  }
  // The IA32_PAT the guest's accesses combine with the EPT's memory types
  // (the VMCS guest-state field VM entry loads). The TLB entries hold
  // memory types, so a new PAT drops them all.
  void set_pat(u64 pat) {
    pat_ = pat;
    flush_all();
  }
  u64 pat() const { return pat_; }

  // The translation of one access. Without guest paging the linear address
  // is the guest-physical one and only the EPT is walked. The result stays
  // valid until the next call.
  const Translation& translate(Gva va, bool write);

  // INVEPT (all contexts): every TLB entry and paging-structure cache entry.
  void flush_all();

  const MmuCounters& counters() const { return counters_; }
  const MmuGeometry& geometry() const { return geometry_; }

 private:
  struct TlbValue {
    Gpa gpa_page = 0;
    Hpa hpa_page = 0;
    u8 page_shift = 0;
    bool writable = false;
    bool uncached = false;
    bool global = false;
  };
  struct PscValue {
    Hpa table_hpa = 0;      // the next guest table, already translated through the EPT
    bool writable = false;  // R/W of the entries above it
  };
  // The EPT side of a translation.
  struct Nested {
    bool present = false;
    bool misconfigured = false;
    Hpa hpa = 0;
    u64 leaf = 0;
    unsigned page_shift = 0;
  };

  // A trapped MMIO access walks every time (nested(): an EPT violation
  // caches nothing). Its walk repeats exactly when no translation cache has
  // changed since the last one and every entry that walk read still holds
  // the same value: then the last walk's result is the answer, without
  // walking. Only a walk that changed no cache itself can be repeated so.
  struct Replay {
    bool valid = false;
    u64 vpn = 0;
    bool write = false;
    u64 generation = 0;
    Translation t;
    MmuCounters delta;
    unsigned reads = 0;
    std::array<std::pair<Hpa, u64>, kMaxWalkRefs> read{};
  };
  // Changes to any translation cache so far.
  u64 generation() const {
    return dtlb_.changes() + stlb_.changes() + guest_psc_[0].changes() + guest_psc_[1].changes() +
           guest_psc_[2].changes() + ept_psc_.changes();
  }
  bool replay(Gva va, bool write);
  void note_read(Hpa hpa, u64 value) {
    if (walk_reads_ < kMaxWalkRefs) walk_read_[walk_reads_] = {hpa, value};
    ++walk_reads_;
  }

  bool lookup_tlb(AssocCache<TlbValue>& tlb, Gva va, bool write, TlbValue& out);
  void fill_tlbs(Gva va, const TlbValue& v, bool from_stlb);
  bool walk(Gva va, bool write, TlbValue& out);
  Nested nested(Gpa gpa);
  void add_ref(Hpa hpa, WalkDim dim, unsigned level);
  bool fail(Translation::Status s);

  const HostMemory& mem_;
  const ept::EptTable* ept_;
  MmuGeometry geometry_;
  bool paging_ = false;
  u64 cr3_ = 0;
  u64 pat_ = kPatPowerOn;

  AssocCache<TlbValue> dtlb_;
  AssocCache<TlbValue> stlb_;
  std::array<AssocCache<PscValue>, 3> guest_psc_;
  AssocCache<u8> ept_psc_;  // the tag is all it needs (see nested())

  Translation t_;
  MmuCounters counters_;
  Replay replay_;
  unsigned walk_reads_ = 0;
  std::array<std::pair<Hpa, u64>, kMaxWalkRefs> walk_read_{};
};

}  // namespace ivsim
