#include "models/host/coherence_directory.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

namespace ivsim {

namespace {

constexpr CoreMask bit(unsigned core) { return CoreMask{1} << core; }
constexpr u32 llc_bit(unsigned index) { return u32{1} << index; }

std::string fmt_hex(u64 v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Calls f(core) for every core in the mask, lowest first (deterministic).
template <class F>
void for_each_core(CoreMask m, F&& f) {
  while (m) {
    const unsigned c = static_cast<unsigned>(__builtin_ctzll(m));
    m &= m - 1;
    f(c);
  }
}

}  // namespace

CoherenceDirectory::CoherenceDirectory(const HostTiming& timing, const CacheTopology& t)
    : pcpus_(static_cast<unsigned>(t.distance.size())),
      c2c_ps_(timing.c2c_ps),
      write_backs_by_core_(t.distance.size(), 0),
      flush_write_backs_by_core_(t.distance.size(), 0) {
  const std::size_t n = t.distance.size();
  if (n > kMaxCores) throw std::invalid_argument("more pCPUs than the coherence directory tracks (64)");
  for (const auto& row : t.distance)
    if (row.size() != n) throw std::invalid_argument("the pCPU distance matrix is not square");
  if (timing.by_pcpu.size() != n || timing.c2c_ps.size() != n * n)
    throw std::invalid_argument("the host timing does not cover every pCPU");
  if (t.llc.size() > kMaxLlcs) throw std::invalid_argument("more last-level caches than the directory tracks (32)");
  if (t.l1d.size() > n) throw std::invalid_argument("caches for pCPUs beyond the distance matrix");

  // Each core's L2 and LLC instance, by pCPU id.
  auto owners = [&](const std::vector<SharedCacheConfig>& list, const char* what) {
    std::vector<int> of(n, -1);
    for (std::size_t i = 0; i < list.size(); ++i)
      for (unsigned core : list[i].cores) {
        if (core >= n)
          throw std::invalid_argument(std::string(what) + " " + std::to_string(i) + " serves unknown pCPU " +
                                      std::to_string(core));
        if (of[core] >= 0)
          throw std::invalid_argument("pCPU " + std::to_string(core) + " is served by two " + what + "s");
        of[core] = static_cast<int>(i);
      }
    return of;
  };
  const std::vector<int> llc_of = owners(t.llc, "LLC");
  const std::vector<int> l2_of = owners(t.l2, "L2");
  for (const SharedCacheConfig& c : t.llc) {
    CoreMask cores = 0;
    for (unsigned core : c.cores) cores |= bit(core);
    llcs_.push_back(Llc{LineCache(c.geometry.size_bytes, c.geometry.ways), c.inclusive, cores});
  }
  for (std::size_t i = 0; i < t.l2.size(); ++i) {
    const SharedCacheConfig& c = t.l2[i];
    CoreMask cores = 0;
    int llc = c.cores.empty() ? -1 : llc_of[c.cores.front()];
    for (unsigned core : c.cores) {
      cores |= bit(core);
      if (llc_of[core] != llc)
        throw std::invalid_argument("L2 " + std::to_string(i) + " serves pCPUs behind different LLCs");
    }
    l2s_.push_back(L2{LineCache(c.geometry.size_bytes, c.geometry.ways), cores, llc});
  }
  cores_.resize(n);
  for (unsigned core = 0; core < n; ++core) {
    const bool l1 = core < t.l1d.size() && t.l1d[core].size_bytes != 0;
    if (!l1 && l2_of[core] < 0 && llc_of[core] < 0) continue;  // no such pCPU
    if (!l1 || l2_of[core] < 0)
      throw std::invalid_argument("pCPU " + std::to_string(core) + " lacks an L1D or an L2 in the board's caches");
    if (!t.llc.empty() && llc_of[core] < 0)
      throw std::invalid_argument("pCPU " + std::to_string(core) + " has no last-level cache while others have one");
    const TimingParams& tp = timing.by_pcpu[core];
    const unsigned l2 = static_cast<unsigned>(l2_of[core]);
    const WayMask llc_all = llc_of[core] >= 0 ? llcs_[static_cast<unsigned>(llc_of[core])].cache.all_ways() : 0;
    cores_[core].reset(new CoreCaches{LineCache(t.l1d[core].size_bytes, t.l1d[core].ways), l2, llc_of[core],
                                      tp.l1_hit_ps, tp.l2_hit_ps, tp.llc_hit_ps, tp.dram_ps, l2s_[l2].cache.all_ways(),
                                      llc_all});
  }
}

CoherenceDirectory::~CoherenceDirectory() = default;

// Checked on every load and store: the check inline, the error out of line.
[[gnu::always_inline]] inline CoherenceDirectory::CoreCaches& CoherenceDirectory::caches(unsigned core) {
  if (__builtin_expect(core >= cores_.size() || !cores_[core], 0)) no_caches(core);
  return *cores_[core];
}

void CoherenceDirectory::no_caches(unsigned core) {
  throw std::logic_error("access by pCPU " + std::to_string(core) + ", which has no caches");
}

const CoherenceDirectory::CoreCaches& CoherenceDirectory::caches(unsigned core) const {
  return const_cast<CoherenceDirectory*>(this)->caches(core);
}

void CoherenceDirectory::set_fill_ways(unsigned core, WayMask l2, WayMask llc) {
  CoreCaches& cc = caches(core);
  auto check = [&](WayMask m, const LineCache& c, const char* what) {
    if (m == 0 || (m & ~c.all_ways()) != 0 || (c.ways() > LineCache::kMaxMaskedWays && m != c.all_ways()))
      throw std::invalid_argument(std::string("pCPU ") + std::to_string(core) + ": fill ways 0x" + fmt_hex(m) +
                                  " are not a non-empty subset of its " + what + "'s " + std::to_string(c.ways()) +
                                  " ways");
  };
  check(l2, l2s_[cc.l2].cache, "L2");
  if (cc.llc >= 0) check(llc, llcs_[static_cast<unsigned>(cc.llc)].cache, "LLC");
  cc.l2_fill = l2;
  if (cc.llc >= 0) cc.llc_fill = llc;
  restricted_ = restricted_ || l2 != l2s_[cc.l2].cache.all_ways() ||
                (cc.llc >= 0 && llc != llcs_[static_cast<unsigned>(cc.llc)].cache.all_ways());
}

LinePage* CoherenceDirectory::page(Hpa hpa) {
  LinePage*& p = pages_.slot(hpa);
  if (!p) {
    p = owned_.make();
    const u64 first = (hpa >> kPageShift4K) << (kPageShift4K - kCacheLineShift);
    for (std::size_t i = 0; i < p->line.size(); ++i) p->line[i].line = first + i;
  }
  return p;
}

void CoherenceDirectory::write_to_memory(unsigned core, TimePs now_ps) {
  ++memory_write_backs_;
  ++write_backs_by_core_[core];  // a core with a fill or a read in progress has caches
  if (uncore_) uncore_->write_back(core, now_ps);
}

void CoherenceDirectory::snoop_write_back(LineState& l, unsigned core, TimePs now_ps) {
  const int o = cores_[l.modified_by - 1u]->llc;  // a core holding lines has caches
  if (o >= 0 && (l.llc & llc_bit(static_cast<unsigned>(o))))
    l.llc_dirty = static_cast<u8>(o + 1);
  else
    write_to_memory(core, now_ps);
}

AccessCost CoherenceDirectory::load(LineState& l, unsigned core, TimePs now_ps) {
  CoreCaches& cc = caches(core);
  const CoreMask me = bit(core);
  if (l.in_l1 & me) {
    cc.l1d.touch(&l);
    l.holders |= me;  // back on the fast path, if replacement had taken it off
    return {cc.l1_hit_ps, Component::cache, false};
  }
  if (l.in_l2 & me) {
    AccessCost cost{cc.l2_hit_ps, Component::cache, true};
    if (l.owner != 0 && l.owner != core + 1) {
      // Exclusive or Modified in another core this L2 serves (an SMT sibling
      // or a cluster-mate; nothing outside holds it): if that core's L1D has
      // it, the core supplies it; both copies are Shared afterwards.
      const unsigned o = l.owner - 1u;
      if (l.in_l1 & bit(o)) cost = {transfer_ps(o, core), Component::coherence, true};
      // A Modified copy's data stays dirty in the L2 they share: modified_by
      // stays, with no owner (see LineState), until that L2 evicts the line,
      // another L2's request snoops it or a store takes it.
      l.owner = 0;
    }
    l2s_[cc.l2].cache.touch(&l);
    fill_l1(l, core, cc);
    return cost;
  }
  const AccessCost cost = fetch_cost(l, core, now_ps);
  // An Exclusive or Modified copy in another core is now Shared (a Modified
  // one written back on the way).
  if (l.modified_by != 0) snoop_write_back(l, core, now_ps);
  l.owner = 0;
  l.modified_by = 0;
  const bool alone = l.in_l2 == 0;
  allocate(l, core, cc, now_ps);
  if (alone) l.owner = static_cast<u8>(core + 1);  // no other core has a copy: Exclusive
  return cost;
}

AccessCost CoherenceDirectory::store(LineState& l, unsigned core, TimePs now_ps, bool full_line) {
  CoreCaches& cc = caches(core);
  const CoreMask me = bit(core);
  const CoreMask mine = l2s_[cc.l2].cores;
  const CoreMask others = l.in_l2 & ~mine;      // cores behind other L2s with a copy
  const CoreMask mates = l.in_l1 & mine & ~me;  // cores sharing this L2 with a copy in their L1D
  // Retired into the store buffer: a read-for-ownership that invalidates other
  // copies overlaps what follows (the hand-off rule in the header comment); a
  // full-line write needs no read at all.
  AccessCost cost{cc.l1_hit_ps, Component::cache, false};
  if (others == 0 && mates == 0 && !(l.in_l1 & me) && !full_line) {
    // Write-allocate fill of a line no other core holds, from wherever it is.
    cost = (l.in_l2 & me) ? AccessCost{cc.l2_hit_ps, Component::cache, true} : fetch_cost(l, core, now_ps);
  }
  drop_l2s_of(l, others, false);
  for_each_core(mates, [&](unsigned k) { drop_l1(l, k); });
  // Copies in other LLCs (other dies or sockets) are stale now; a dirty one's
  // data came over with the ownership.
  u32 stale = cc.llc >= 0 ? l.llc & ~llc_bit(static_cast<unsigned>(cc.llc)) : l.llc;
  l.llc &= ~stale;
  if (__builtin_expect(stale != 0, 0) && l.llc_dirty != 0 && (stale & llc_bit(l.llc_dirty - 1u))) l.llc_dirty = 0;
  while (stale) {
    llcs_[static_cast<unsigned>(__builtin_ctz(stale))].cache.erase(&l);
    stale &= stale - 1;
  }
  if (!(l.in_l2 & me)) {
    allocate(l, core, cc, now_ps);
  } else if (!(l.in_l1 & me)) {
    l2s_[cc.l2].cache.touch(&l);
    fill_l1(l, core, cc);
  } else {
    cc.l1d.touch(&l);
    l.holders |= me;
  }
  l.owner = static_cast<u8>(core + 1);
  l.modified_by = static_cast<u8>(core + 1);
  l.last_write_ps = now_ps;
  return cost;
}

// The steps of the miss path below are inlined into load() and store(): as
// calls, each saved and restored most callee-saved registers, about a tenth
// of a streaming copy's instructions (docs/performance.md).
[[gnu::always_inline]] inline AccessCost CoherenceDirectory::uncore_cost(AccessCost c, const LineState& l,
                                                                         unsigned core, TimePs now_ps) {
  // Held off by another core's bus lock: the request leaves when it ends.
  const TimePs held = __builtin_expect(now_ps < locks_until_ps_, 0) ? bus_lock_hold(core, now_ps) : 0;
  if (uncore_) {
    const TimePs at = now_ps + held;
    const UncoreDelay d =
        c.component == Component::dram ? uncore_->dram_request(core, l.line, at) : uncore_->llc_request(core, at);
    const i64 dram = static_cast<i64>(c.ps) + d.dram_ps;
    c.ps = static_cast<TimePs>(dram > 0 ? dram : 0) + d.queue_ps;
    c.queue_ps = d.queue_ps;
  }
  c.ps += held;
  c.queue_ps += held;
  return c;
}

TimePs CoherenceDirectory::bus_lock_hold(unsigned core, TimePs now_ps) const {
  // Locks held back to back: a request waits for the last of the chain.
  TimePs at = now_ps;
  for (bool moved = true; moved;) {
    moved = false;
    for (const BusLock& b : bus_locks_)
      if (b.core != core && at >= b.from_ps && at < b.until_ps) {
        at = b.until_ps;
        moved = true;
      }
  }
  return at - now_ps;
}

TimePs CoherenceDirectory::bus_lock(unsigned core, TimePs now_ps, TimePs hold_ps) {
  (void)caches(core);
  const TimePs wait = now_ps < locks_until_ps_ ? bus_lock_hold(core, now_ps) : 0;
  const TimePs from = now_ps + wait;
  bus_locks_[next_bus_lock_] = {from, from + hold_ps, core};
  next_bus_lock_ = (next_bus_lock_ + 1) % kBusLocksKept;
  locks_until_ps_ = std::max(locks_until_ps_, from + hold_ps);
  return wait;
}

AccessCost CoherenceDirectory::uncached(LineState& l, unsigned core, TimePs now_ps, bool write) {
  const CoreCaches& cc = caches(core);
  // Memory is made current first: a Modified copy, or an LLC's dirty one, is
  // written back (an implicit write-back for the snoop).
  if (l.modified_by != 0 || l.llc_dirty != 0) write_to_memory(core, now_ps);
  l.llc_dirty = 0;
  if (write) {
    invalidate_everywhere(l);
    return uncore_cost({cc.dram_ps, Component::dram, true}, l, core, now_ps);
  }
  const unsigned modified_by = l.modified_by;
  l.owner = 0;
  l.modified_by = 0;
  if (modified_by != 0 && modified_by != core + 1)
    return uncore_cost({transfer_ps(modified_by - 1u, core), Component::coherence, true}, l, core, now_ps);
  // Memory serves it (the core's own Modified copy written back first).
  return uncore_cost({cc.dram_ps, Component::dram, true}, l, core, now_ps);
}

[[gnu::always_inline]] inline AccessCost CoherenceDirectory::fetch_cost(LineState& l, unsigned core, TimePs now_ps) {
  const CoreCaches& cc = *cores_[core];  // load() and store() checked the core
  // Exclusive or Modified in a core, or dirty in an L2 it shares (no owner):
  // that core's cache supplies it.
  const unsigned from = l.owner != 0 ? l.owner : l.modified_by;
  if (from != 0) return uncore_cost({transfer_ps(from - 1u, core), Component::coherence, true}, l, core, now_ps);
  if (cc.llc >= 0) {
    const unsigned d = static_cast<unsigned>(cc.llc);
    if (l.llc & llc_bit(d)) {
      llcs_[d].cache.touch(&l);
      return uncore_cost({cc.llc_hit_ps, Component::cache, true}, l, core, now_ps);
    }
    // Clean in a core sharing this LLC but not in the LLC itself (a
    // non-inclusive LLC): the LLC's snoop filter has it forwarded at LLC cost.
    if (l.in_l2 & llcs_[d].cores) return uncore_cost({cc.llc_hit_ps, Component::cache, true}, l, core, now_ps);
  }
  if (l.in_l2 != 0 || l.llc != 0) {
    // Only behind another LLC (another die or socket), or in another L2 when
    // the L2 is the last level: the nearest copy comes over.
    TimePs best = std::numeric_limits<TimePs>::max();
    for_each_core(l.in_l2, [&](unsigned k) { best = std::min(best, transfer_ps(k, core)); });
    for (unsigned i = 0; i < llcs_.size(); ++i)
      if ((l.llc & llc_bit(i)) && llcs_[i].cores != 0)  // from that LLC: as far as its first core
        best = std::min(best, transfer_ps(static_cast<unsigned>(__builtin_ctzll(llcs_[i].cores)), core));
    return uncore_cost({best, Component::coherence, true}, l, core, now_ps);
  }
  return uncore_cost({cc.dram_ps, Component::dram, true}, l, core, now_ps);
}

[[gnu::always_inline]] inline void CoherenceDirectory::allocate(LineState& l, unsigned core, CoreCaches& cc,
                                                                TimePs now_ps) {
  filler_ = &cc;
  fill_core_ = core;
  fill_now_ps_ = now_ps;
  // An inclusive LLC holds whatever its cores hold, and sees every request
  // that misses the L2 (a transfer from another core too); a non-inclusive
  // one is filled by the L2's victims instead (drop_l2).
  if (cc.llc >= 0 && llcs_[static_cast<unsigned>(cc.llc)].inclusive) {
    const unsigned d = static_cast<unsigned>(cc.llc);
    if (l.llc & llc_bit(d))
      llcs_[d].cache.touch(&l);
    else
      fill_llc(l, d);
  }
  fill_l2(l, cc.l2);
  fill_l1(l, core, cc);
}

[[gnu::always_inline]] inline void CoherenceDirectory::fill_l1(LineState& l, unsigned core, CoreCaches& cc) {
  const CoreMask me = bit(core);
  // Second chance: an LRU candidate still on the fast path may have been hit
  // there; it loses the fast path (its next access tells the LRU order) and
  // stays. One that lost it and was not accessed since is evicted.
  LineState* v = cc.l1d.insert(&l, [&](LineState* s) {
    const bool referenced = (s->holders & me) != 0;
    s->holders &= ~me;
    return referenced;
  });
  l.in_l1 |= me;
  l.holders |= me;
  if (v) {
    // A Modified line goes back to the L2, which holds it (inclusion): its state stays.
    v->in_l1 &= ~me;
    v->holders &= ~me;
  }
}

[[gnu::always_inline]] inline void CoherenceDirectory::fill_l2(LineState& l, unsigned index) {
  L2& l2 = l2s_[index];
  // LRU, sparing lines an L1D it serves still holds: they are in use, the L2
  // just does not see their hits. Evicting one would take it out of the L1D too.
  auto in_use = [&](const LineState* candidate) { return (candidate->in_l1 & l2.cores) != 0; };
  LineState* v = restricted_ ? l2.cache.insert(&l, in_use, filler_->l2_fill) : l2.cache.insert(&l, in_use);
  l.in_l2 |= l2.cores;
  if (v) drop_l2(*v, index, true);
}

void CoherenceDirectory::fill_llc(LineState& l, unsigned index) {
  Llc& llc = llcs_[index];
  // Plain LRU over the requests that reach the LLC: a line the cores keep
  // hitting in their own caches ages here and, in an inclusive LLC, its
  // eviction invalidates it in those cores too (an inclusion victim).
  LineState* v = restricted_ ? llc.cache.insert(
                                   &l, [](const LineState*) { return false; }, filler_->llc_fill)
                             : llc.cache.insert(&l);
  l.llc |= llc_bit(index);
  if (!v) return;
  LineState& w = *v;
  // Its dirty copy goes to memory, and in an inclusive LLC so does a copy
  // Modified in a core it takes the line from.
  const bool dirty =
      w.llc_dirty == index + 1 || (llc.inclusive && w.modified_by != 0 && (llc.cores & bit(w.modified_by - 1u)));
  w.llc &= ~llc_bit(index);
  if (w.llc_dirty == index + 1) w.llc_dirty = 0;
  if (llc.inclusive) drop_l2s_of(w, w.in_l2 & llc.cores, false);
  if (dirty) write_to_memory(fill_core_, fill_now_ps_);
}

void CoherenceDirectory::drop_l1(LineState& l, unsigned core) {
  const CoreMask me = bit(core);
  if (l.in_l1 & me) cores_[core]->l1d.erase(&l);  // a core holding lines has caches
  l.in_l1 &= ~me;
  l.holders &= ~me;
  if (l.owner == core + 1) {
    l.owner = 0;
    l.modified_by = 0;
  }
}

[[gnu::always_inline]] inline void CoherenceDirectory::drop_l2(LineState& l, unsigned index, bool victim) {
  L2& l2 = l2s_[index];
  for_each_core(l.in_l1 & l2.cores, [&](unsigned k) { cores_[k]->l1d.erase(&l); });
  if (!victim) l2.cache.erase(&l);  // an L2 victim has already left it
  l.in_l1 &= ~l2.cores;
  l.holders &= ~l2.cores;
  l.in_l2 &= ~l2.cores;
  // Written back if Modified in a core it serves or dirty in the L2 itself,
  // off the critical path (write-back buffers absorb it). An invalidation's
  // caller says where the data goes.
  const bool modified = l.modified_by != 0 && (l2.cores & bit(l.modified_by - 1u));
  if (modified || (l.owner != 0 && (l2.cores & bit(l.owner - 1u)))) {
    l.owner = 0;
    l.modified_by = 0;
  }
  if (!victim) return;
  if (l2.llc < 0) {
    // The L2 is the last level: its victim goes to memory.
    if (modified) write_to_memory(fill_core_, fill_now_ps_);
    return;
  }
  const unsigned d = static_cast<unsigned>(l2.llc);
  Llc& llc = llcs_[d];
  // A non-inclusive LLC is filled with the L2's victims, clean or dirty, in
  // the ways of the core whose fill evicted them; an inclusive one holds the
  // line already.
  if (!llc.inclusive) {
    if (l.llc & llc_bit(d))
      llc.cache.touch(&l);
    else
      fill_llc(l, d);
  }
  if (modified) l.llc_dirty = static_cast<u8>(d + 1);
}

void CoherenceDirectory::invalidate_everywhere(LineState& l) {
  drop_l2s_of(l, l.in_l2, false);
  for (u32 llcs = l.llc; llcs; llcs &= llcs - 1) llcs_[static_cast<unsigned>(__builtin_ctz(llcs))].cache.erase(&l);
  l.llc = 0;
  l.llc_dirty = 0;
}

FlushCount CoherenceDirectory::flush_lines(Hpa begin, Hpa end) {
  FlushCount n;
  pages_.for_each_in(begin, end, [&](u64, LinePage* p) {
    for (LineState& l : p->line) {
      const Hpa at = l.line << kCacheLineShift;
      if (at < begin || at >= end || (l.in_l2 == 0 && l.llc == 0)) continue;
      ++n.lines;
      if (l.modified_by != 0 || l.llc_dirty != 0) ++n.written_back;
      invalidate_everywhere(l);
      // A Modified copy is written back, an Exclusive one simply dropped.
      l.owner = 0;
      l.modified_by = 0;
    }
  });
  return n;
}

FlushCount CoherenceDirectory::wbinvd(unsigned core) {
  CoreCaches& cc = caches(core);
  L2& l2 = l2s_[cc.l2];
  Llc* llc = cc.llc >= 0 ? &llcs_[static_cast<unsigned>(cc.llc)] : nullptr;
  const u32 llc_mask = llc ? llc_bit(static_cast<unsigned>(cc.llc)) : 0;
  // Collected before any is erased (erasing reorders the sets); a line in
  // several of the three is counted once.
  std::vector<LineState*> lines;
  auto collect = [&](LineState* l) { lines.push_back(l); };
  l2.cache.for_each_line(collect);  // holds the L1Ds' lines too (inclusion)
  if (llc) llc->cache.for_each_line(collect);
  FlushCount n;
  for (LineState* l : lines) {
    const bool in_l2 = (l->in_l2 & l2.cores) != 0;
    const bool in_llc = (l->llc & llc_mask) != 0;
    if (!in_l2 && !in_llc) continue;  // met already
    CoreMask dropped = in_l2 ? l2.cores : 0;
    if (in_llc && llc->inclusive) dropped |= l->in_l2 & llc->cores;
    ++n.lines;
    const bool dirty_here = in_llc && l->llc_dirty == cc.llc + 1;
    if ((l->modified_by != 0 && (dropped & bit(l->modified_by - 1u))) || dirty_here) ++n.written_back;
    drop_l2s_of(*l, dropped, false);
    if (in_llc) {
      llc->cache.erase(l);
      l->llc &= ~llc_mask;
      if (dirty_here) l->llc_dirty = 0;
    }
  }
  return n;
}

void CoherenceDirectory::drop_l2s_of(LineState& l, CoreMask cores, bool victim) {
  for_each_core(cores, [&](unsigned k) {
    if (l.in_l2 & bit(k)) drop_l2(l, cores_[k]->l2, victim);
  });
}

}  // namespace ivsim
