// The host's cache hierarchy and its coherence: per-core L1D, L2s each
// serving one core or a cluster of cores (SMT siblings, an Atom module, a
// hybrid part's E-core cluster), shared last-level caches beyond the L2 (none
// when the L2 is the last level, as on Atom parts without L3), all
// set-associative with the board's sizes and ways, and a MESI directory that
// knows for every 64-byte line which cores hold it, whether one holds it
// Exclusive or Modified, and which LLCs have it. Each access is charged by
// where its line comes from: the core's L1D, its L2, the LLC, another core
// (a transfer priced per pCPU pair: topology distance and core types) or
// DRAM, at the accessing core's own costs (its core type's, on hybrid parts).
//
// A line in an L2 is in_l2 for every core that L2 serves: a cluster-mate
// hits it there (l2_hit), unless another core of the cluster holds it
// Exclusive or Modified in its L1D, which then supplies it (a transfer).
//
// The per-line state lives in pages that a vCPU caches next to its DMI
// pointer, so an L1D hit is decided inline by hits() with one load and one
// compare, without calling in here (see docs/timing.md, "The memory model").
// Everything else (L1D misses, stores needing ownership, evictions) goes
// through load() and store(), which keep the caches and the line states
// consistent: a line's `holders` bit for a core is set only while that
// core's L1D holds it, so an eviction takes the line off the fast path.
//
// The fast path cannot tell the L1D's LRU lists about its hits, and writes
// nothing. Instead its permission bit doubles as the reference bit of a
// second-chance (CLOCK-like) replacement: a fill that finds the LRU line
// still on the fast path revokes that (clears `holders`, the line stays in
// the L1D) and makes it most recently used; the line's next access takes the
// slow path, which charges the same L1D hit, updates the LRU order and
// grants the fast path again. A line nobody touched since is evicted.
//
// Cache allocation (Intel CAT, as ACRN programs it): each core has the ways
// of its L2 and of its LLC it may fill, those its class of service's capacity
// bitmasks select (the IA32_L2_MASK_n / IA32_L3_MASK_n of the CLOS in its
// IA32_PQR_ASSOC). A fill by the core, and in a non-inclusive LLC the L2
// victim its fill pushes out, allocates only into those ways and evicts only
// from them; hits are allowed in any way. All ways unless set_fill_ways says
// otherwise.
//
// Write-backs: a Modified line an L2 evicts goes to the LLC behind it,
// which keeps it dirty (llc_dirty) until it evicts it in turn; then, or when
// the L2 is the last level, it goes to memory. A read that finds a line
// Modified in another core (HITM) leaves it Shared: the data goes to the
// owner's LLC when that holds the line, else to memory (SDM Vol. 3A 11.4,
// the implicit write-back). A read by a core sharing the owner's L2 leaves
// the data dirty in that L2, which writes it back when it evicts the line or
// another L2's read snoops it. A write to memory costs the core nothing
// (write buffers take it off the critical path) but is one more request the
// memory controller serves: the uncore counts it in the load other cores'
// requests queue behind (Uncore::write_back).
//
// Stores: a store to a line other cores hold invalidates their copies and
// costs an L1D hit, its read-for-ownership hidden by the store buffer and
// overlapped with the reader's later miss (so a polled flag hand-off costs
// one transfer, as core-to-core ping-pong tools measure it).
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

#include "models/core/breakdown.h"
#include "models/core/chunk_arena.h"
#include "models/core/page_radix.h"
#include "models/core/timing.h"
#include "models/core/types.h"
#include "models/host/cache_topology.h"
#include "models/host/set_assoc_cache.h"
#include "models/host/uncore.h"

namespace ivsim {

using CoreMask = u64;  // one bit per pCPU (ACRN supports at most 64)
constexpr unsigned kMaxCores = 64;
constexpr unsigned kMaxLlcs = 32;  // bits of LineState::llc (QEMU's fake topology has one L3 per vCPU)

struct LineState {
  CoreMask holders = 0;      // cores that may hit it on the fast path: in their L1D, not revoked by replacement
  CoreMask in_l1 = 0;        // cores whose L1D holds it
  CoreMask in_l2 = 0;        // cores whose L2 holds it (every core a shared L2 serves); L2 includes L1D
  TimePs last_write_ps = 0;  // when the last store to the line happened
  u64 line = 0;              // line number: host physical address >> 6
  u8 owner = 0;              // 1 + the core holding it Exclusive or Modified (then its only holder); 0 otherwise
  u8 watched = 0;            // vCPUs asleep on this line (wait_until); beside owner for the store fast path
  // 1 + the core that wrote it last, while its data is newer than the LLC's
  // and memory's: with owner the same, that core holds it Modified; with no
  // owner, the L2 it shares with cluster-mates that read the line since holds
  // the dirty data (their L1D copies Shared). 0 when clean.
  u8 modified_by = 0;
  // 1 + the LLC whose copy is newer than memory (a Modified line written
  // back into it, which it writes to memory when it evicts the line); 0 when
  // no LLC's is. At most one: a store takes the line out of the other LLCs.
  u8 llc_dirty = 0;
  u32 llc = 0;  // one bit per last-level cache holding it
};
static_assert(sizeof(LineState) == 48, "a line's state stays 48 bytes: llc_dirty takes the padding");
static_assert(offsetof(LineState, watched) == offsetof(LineState, owner) + 1,
              "owner and watched are read as one 16-bit word (CoherenceDirectory::store_hits_unwatched)");

// The caches keep a pointer to each line's state as its tag: a victim's or
// a second-chance candidate's state is at hand without a search.
template <>
struct CacheTag<LineState*> {
  static constexpr LineState* none() { return nullptr; }
  static u64 line(const LineState* l) { return l->line; }
};
using LineCache = BasicSetAssocCache<LineState*>;

struct LinePage {
  std::array<LineState, kPageSize4K / kCacheLineBytes> line{};
};

struct AccessCost {
  TimePs ps = 0;
  Component component = Component::cache;
  // The access missed the L1D and waited for a fill: it occupies one of the
  // core's outstanding-miss slots (what block copies overlap, see Vcpu::read_block).
  bool miss = false;
  // Of ps, the time spent waiting behind other cores' requests (Component::queue).
  TimePs queue_ps = 0;
};

// What a cache flush did: the lines it found cached and invalidated, and of
// them those a flushed copy held Modified (written back to memory).
struct FlushCount {
  u64 lines = 0;
  u64 written_back = 0;
};

class CoherenceDirectory {
 public:
  // Throws std::invalid_argument when the topology is inconsistent (a pCPU
  // without L1D or L2, in two L2s or LLCs, an L2 whose cores are behind
  // different LLCs, more than kMaxCores pCPUs or kMaxLlcs LLCs) or the timing
  // does not cover every pCPU.
  CoherenceDirectory(const HostTiming& timing, const CacheTopology& topology);
  // Every pCPU costs `timing`; transfers priced by distance.
  CoherenceDirectory(const TimingParams& timing, const CacheTopology& topology)
      : CoherenceDirectory(HostTiming::uniform(timing, topology.distance), topology) {}
  ~CoherenceDirectory();

  // The line states of the 4 KiB host page holding hpa (allocated on first use).
  LinePage* page(Hpa hpa);
  LineState& line(Hpa hpa) { return page(hpa)->line[page_offset(hpa) >> kCacheLineShift]; }

  // True when the access involves another core's copy: the caller must be
  // synchronised to simulated time before it (exact communication).
  static bool involves_other_core(const LineState& l, unsigned core, bool write) {
    const CoreMask me = CoreMask{1} << core;
    if (write) return (l.in_l2 & ~me) != 0;
    return l.modified_by != 0 && l.modified_by != core + 1;
  }
  // The fast path: the core's L1D serves the access (a store needs the line
  // Exclusive or Modified) and it costs an L1D hit with no state change.
  static bool hits(const LineState& l, unsigned core, bool write) {
    return hits(l, CoreMask{1} << core, static_cast<u8>(core + 1), write);
  }
  // The same for a caller that keeps its core's bit and owner tag (1 + core) at hand.
  static bool hits(const LineState& l, CoreMask me, u8 tag, bool write) {
    return write ? (l.holders & me) != 0 && l.owner == tag : (l.holders & me) != 0;
  }
  // hits(l, me, tag, true) on a line no vCPU sleeps on: the store fast
  // path's test, owner and watched compared as one 16-bit word, against
  // unwatched_owner(tag) the caller keeps at hand.
  static u16 unwatched_owner(u8 tag) {
    const u8 bytes[2] = {tag, 0};  // owner, watched
    u16 word;
    std::memcpy(&word, bytes, sizeof word);
    return word;
  }
  static bool store_hits_unwatched(const LineState& l, CoreMask me, u16 unwatched_owner) {
    u16 owner_watched;
    std::memcpy(&owner_watched, reinterpret_cast<const u8*>(&l) + offsetof(LineState, owner), sizeof owner_watched);
    return (l.holders & me) != 0 && owner_watched == unwatched_owner;
  }

  // Perform the state transition (fills, evictions, invalidations) and
  // return the cost to the accessing core. `full_line`: the store writes the
  // whole line, so it allocates the line without reading it (no RFO).
  // `now_ps`: when the request leaves the core, for the uncore's timing.
  AccessCost load(LineState& l, unsigned core, TimePs now_ps = 0);
  AccessCost store(LineState& l, unsigned core, TimePs now_ps, bool full_line = false);
  // An access of the UC memory type: a memory request of its own, through
  // the uncore like a miss to DRAM, that no cache keeps. Every cache snoops
  // it, the core's own included (self-snoop, CPUID.01H:EDX.SS), as for any
  // access to memory (SDM Vol. 3A 11.2): a write invalidates every cached
  // copy of the line (a Modified one written back first); a read of a line
  // Modified in another core is served by that core's implicit write-back
  // (HITM#), at a transfer's cost, and leaves its copy clean; an Exclusive
  // or Modified copy is Shared afterwards.
  AccessCost uncached(LineState& l, unsigned core, TimePs now_ps, bool write);

  // CLFLUSH / CLFLUSHOPT of every line of host memory in [begin, end): each
  // leaves every cache of the coherence domain, written back if Modified
  // (SDM Vol. 2A, CLFLUSHOPT). Only lines with a state can be cached, so
  // only those are visited.
  FlushCount flush_lines(Hpa begin, Hpa end);
  // WBINVD on `core` (SDM Vol. 3A 11.5.5): writes back the Modified lines of
  // its L1D, its L2 and its LLC and invalidates all three (the L2's other
  // cores lose their L1D copies with it); an inclusive LLC's invalidation
  // takes its lines out of the other cores' caches too (back-invalidation),
  // a non-inclusive one leaves them there. Other LLCs keep theirs.
  FlushCount wbinvd(unsigned core);
  // A flush's write-backs on `core` go to memory over [from_ps, until_ps),
  // the flush's time: the uncore's load for the other cores' requests
  // (Uncore::flush_write_backs).
  void flush_write_backs(unsigned core, TimePs from_ps, TimePs until_ps, u64 lines) {
    if (core < pcpus_) flush_write_backs_by_core_[core] += lines;
    if (uncore_) uncore_->flush_write_backs(core, from_ps, until_ps, lines);
  }

  // A bus lock (a LOCK'd read-modify-write no cache can lock, SDM Vol. 3A
  // 9.1.2): from now_ps the core holds every other agent off memory for
  // hold_ps. Another core's request that leaves its L2 while the lock is held
  // (a fetch from the LLC, another core or DRAM, or an uncached access) waits
  // for its end, charged as queueing; its hits in its own L1D and L2 go on.
  // A lock asked for while another core's is held starts when that one ends:
  // returns that wait. Kernel's Documentation/arch/x86/buslock.rst: a bus lock
  // "disrupts performance on other cores". Requests are held as the model
  // sees them: one another core made earlier in host order, ahead in its
  // quantum, at a time the lock covers, was not held (loosely timed).
  TimePs bus_lock(unsigned core, TimePs now_ps, TimePs hold_ps);

  // The shared resources beyond the L2s whose state varies a request's cost
  // (contention, DRAM rows and refresh); none: every request costs its idle latency.
  void set_uncore(Uncore* u) { uncore_ = u && u->enabled() ? u : nullptr; }
  const Uncore* uncore() const { return uncore_; }
  // The ways of the core's L2 and LLC its fills may take (see the header
  // comment); each a non-empty subset of that cache's ways. The pCPU's
  // IA32_PQR_ASSOC: its vCPU's CLOS, loaded when the vCPU is switched in.
  // Throws std::invalid_argument for an empty mask or one beyond the ways.
  void set_fill_ways(unsigned core, WayMask l2, WayMask llc);
  WayMask l2_fill_ways(unsigned core) const { return caches(core).l2_fill; }
  WayMask llc_fill_ways(unsigned core) const { return caches(core).llc_fill; }

  TimePs l1_hit_ps(unsigned core) const { return caches(core).l1_hit_ps; }
  TimePs transfer_ps(unsigned from, unsigned to) const { return c2c_ps_[from * pcpus_ + to]; }

  // The caches, for tests and reports.
  const LineCache& l1d(unsigned core) const { return caches(core).l1d; }
  const LineCache& l2(unsigned core) const { return l2s_.at(caches(core).l2).cache; }
  unsigned l2_count() const { return static_cast<unsigned>(l2s_.size()); }
  unsigned l2_of(unsigned core) const { return caches(core).l2; }
  const LineCache& llc(unsigned index) const { return llcs_.at(index).cache; }
  unsigned llc_count() const { return static_cast<unsigned>(llcs_.size()); }
  bool has_llc(unsigned core) const { return caches(core).llc >= 0; }
  unsigned llc_of(unsigned core) const { return static_cast<unsigned>(caches(core).llc); }
  bool llc_inclusive(unsigned index) const { return llcs_.at(index).inclusive; }
  // Modified lines written to memory by evictions and snoops (not by
  // flushes, which FlushCount counts): in all, and by the core whose fill or
  // read caused each.
  u64 memory_write_backs() const { return memory_write_backs_; }
  u64 memory_write_backs(unsigned core) const { return core < pcpus_ ? write_backs_by_core_[core] : 0; }
  // Lines the core's flushes wrote back (flush_write_backs).
  u64 flush_write_backs(unsigned core) const { return core < pcpus_ ? flush_write_backs_by_core_[core] : 0; }
  unsigned pcpu_count() const { return pcpus_; }

 private:
  struct CoreCaches {
    LineCache l1d;
    unsigned l2;  // index into l2s_
    int llc;      // index into llcs_; -1: the L2 is the last level
    // This core's costs (its core type's, on a hybrid part).
    TimePs l1_hit_ps;
    TimePs l2_hit_ps;
    TimePs llc_hit_ps;
    TimePs dram_ps;
    // The ways its fills may take (cache allocation); all_ways() when unrestricted.
    WayMask l2_fill;
    WayMask llc_fill;
  };
  struct L2 {
    LineCache cache;
    CoreMask cores;
    int llc;  // the LLC behind it, -1 for none
  };
  struct Llc {
    LineCache cache;
    bool inclusive;
    CoreMask cores;
  };

  CoreCaches& caches(unsigned core);
  const CoreCaches& caches(unsigned core) const;
  [[noreturn, gnu::cold]] static void no_caches(unsigned core);
  // Cost of bringing in a line that is in none of `core`'s private caches.
  AccessCost fetch_cost(LineState& l, unsigned core, TimePs now_ps);
  // What the uncore adds to a request that left the core's L2.
  AccessCost uncore_cost(AccessCost c, const LineState& l, unsigned core, TimePs now_ps);
  // Makes the core's L2 and L1D (and an inclusive LLC) hold the line.
  void allocate(LineState& l, unsigned core, CoreCaches& cc, TimePs now_ps);
  // The line goes to memory at now_ps, the core's write (see the header comment).
  void write_to_memory(unsigned core, TimePs now_ps);
  // A read by `core` found the line Modified in another core, or dirty in an
  // L2 it does not share (the implicit write-back): the LLC behind the
  // writer takes it dirty if it holds the line, or memory does.
  void snoop_write_back(LineState& l, unsigned core, TimePs now_ps);
  void fill_l1(LineState& l, unsigned core, CoreCaches& cc);
  // Fills into the ways of filler_, the core allocate() fills for (cache
  // allocation), once any core's ways are restricted.
  void fill_l2(LineState& l, unsigned index);
  void fill_llc(LineState& l, unsigned index);
  // Removes the line from one core's L1D, leaving its L2.
  void drop_l1(LineState& l, unsigned core);
  // Removes the line from an L2 and the L1Ds of the cores it serves
  // (eviction or invalidation); `victim`: the L2's fill has just evicted it
  // (it is no longer in the L2's array), and it goes into a non-inclusive
  // LLC (in the ways of the core whose fill evicted it).
  void drop_l2(LineState& l, unsigned index, bool victim);
  // drop_l2 for every L2 holding the line for a core in `cores`.
  void drop_l2s_of(LineState& l, CoreMask cores, bool victim);
  // Takes the line out of every L1D, L2 and LLC.
  void invalidate_everywhere(LineState& l);

  unsigned pcpus_ = 0;
  std::vector<TimePs> c2c_ps_;                      // [from * pcpus_ + to]
  std::vector<std::unique_ptr<CoreCaches>> cores_;  // by pCPU id; null for ids the board lacks
  std::vector<L2> l2s_;
  std::vector<Llc> llcs_;

  Uncore* uncore_ = nullptr;
  // The latest bus locks, [from, until) each, held by pCPU `core`: a core
  // running ahead in its quantum may lock several times before the others
  // catch up to those times. locks_until_ps_: the latest end of them all.
  struct BusLock {
    TimePs from_ps = 0;
    TimePs until_ps = 0;
    unsigned core = 0;
  };
  static constexpr unsigned kBusLocksKept = 32;
  std::array<BusLock, kBusLocksKept> bus_locks_{};
  unsigned next_bus_lock_ = 0;
  TimePs locks_until_ps_ = 0;
  // How long another core's bus lock holds `core`'s request at now_ps.
  TimePs bus_lock_hold(unsigned core, TimePs now_ps) const;
  // Cache allocation: some core's fill ways are not every way (until then
  // fills take the unrestricted path), and the core allocate() fills for.
  bool restricted_ = false;
  const CoreCaches* filler_ = nullptr;
  // The core allocate() fills for and when: a write-back its fill causes is
  // that core's request at that time.
  unsigned fill_core_ = 0;
  TimePs fill_now_ps_ = 0;
  u64 memory_write_backs_ = 0;
  std::vector<u64> write_backs_by_core_;        // by pCPU id
  std::vector<u64> flush_write_backs_by_core_;  // by pCPU id

  PageRadix<LinePage> pages_;
  ObjectArena<LinePage> owned_;
};

}  // namespace ivsim
