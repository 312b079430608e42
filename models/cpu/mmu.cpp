#include "models/cpu/mmu.h"

#include <algorithm>

#include "models/cpu/memory_type.h"

namespace ivsim {

namespace {

// Linear (and, without guest paging, guest-physical) address bits the
// translation caches are tagged with.
constexpr u64 kLinearMask = (u64{1} << x86::kLinearBits) - 1;

// TLB tags carry the page size, so one array holds 4 KiB, 2 MiB and 1 GiB
// entries: (page number << 2) | size code, with code 0/1/2 for shift 12/21/30.
constexpr unsigned kTlbShifts[] = {12, 21, 30};
constexpr u64 tlb_tag(u64 vpn, unsigned shift) { return (vpn << 2) | ((shift - 12) / 9); }
constexpr unsigned tlb_tag_shift(u64 tag) { return 12 + 9 * static_cast<unsigned>(tag & 3); }

// The EPT paging-structure cache holds entries of three levels in one array:
// (guest-physical address >> the entry's reach) << 2 | level.
u64 ept_psc_tag(Gpa gpa, unsigned level) {
  return ((gpa >> ept::level_shift(static_cast<ept::Level>(level))) << 2) | level;
}

}  // namespace

MmuGeometry MmuGeometry::from(const TimingParams& t) {
  MmuGeometry g;
  g.dtlb_entries = t.dtlb_entries;
  g.dtlb_ways = t.dtlb_ways;
  g.stlb_entries = t.stlb_entries;
  g.stlb_ways = t.stlb_ways;
  g.guest_psc_entries = {t.pml4e_cache_entries, t.pdpte_cache_entries, t.pde_cache_entries};
  g.ept_psc_entries = t.ept_psc_entries;
  return g;
}

Mmu::Mmu(const HostMemory& mem, const ept::EptTable* ept, const MmuGeometry& g)
    : mem_(mem),
      ept_(ept),
      geometry_(g),
      dtlb_(g.dtlb_entries, g.dtlb_ways),
      stlb_(g.stlb_entries, g.stlb_ways),
      guest_psc_{AssocCache<PscValue>(g.guest_psc_entries[0], 0), AssocCache<PscValue>(g.guest_psc_entries[1], 0),
                 AssocCache<PscValue>(g.guest_psc_entries[2], 0)},
      ept_psc_(g.ept_psc_entries, 0) {}

void Mmu::write_cr3(u64 cr3) {
  if (!paging_) {
    // Switching paging on changes what every linear address means.
    dtlb_.clear();
    stlb_.clear();
    paging_ = true;
  } else {
    auto global = [](u64, const TlbValue& v) { return v.global; };
    dtlb_.retain_if(global);
    stlb_.retain_if(global);
  }
  for (auto& c : guest_psc_) c.clear();
  cr3_ = cr3;
}

void Mmu::flush_all() {
  dtlb_.clear();
  stlb_.clear();
  for (auto& c : guest_psc_) c.clear();
  ept_psc_.clear();
}

namespace {

void add_counters(MmuCounters& to, const MmuCounters& after, const MmuCounters& before) {
  to.translations += after.translations - before.translations;
  to.dtlb_hits += after.dtlb_hits - before.dtlb_hits;
  to.stlb_hits += after.stlb_hits - before.stlb_hits;
  to.walks += after.walks - before.walks;
  to.guest_refs += after.guest_refs - before.guest_refs;
  to.ept_refs += after.ept_refs - before.ept_refs;
  for (std::size_t i = 0; i < to.guest_psc_hits.size(); ++i)
    to.guest_psc_hits[i] += after.guest_psc_hits[i] - before.guest_psc_hits[i];
  to.ept_psc_hits += after.ept_psc_hits - before.ept_psc_hits;
  to.faults += after.faults - before.faults;
}

}  // namespace

bool Mmu::replay(Gva va, bool write) {
  const Replay& r = replay_;
  if (!r.valid || r.vpn != va >> 12 || r.write != write || r.generation != generation()) return false;
  for (unsigned i = 0; i < r.reads; ++i)
    if (mem_.read_u64(r.read[i].first) != r.read[i].second) return false;
  t_ = r.t;
  t_.gpa = page_base(r.t.gpa) | page_offset(va);
  add_counters(counters_, r.delta, MmuCounters{});
  return true;
}

const Translation& Mmu::translate(Gva va, bool write) {
  if (replay(va, write)) return t_;
  const u64 generation_before = generation();
  const MmuCounters counters_before = counters_;
  walk_reads_ = 0;
  t_ = Translation{};
  ++counters_.translations;
  TlbValue v;
  if (lookup_tlb(dtlb_, va, write, v)) {
    t_.source = Translation::Source::dtlb;
    t_.in_dtlb = true;
    ++counters_.dtlb_hits;
  } else if (lookup_tlb(stlb_, va, write, v)) {
    t_.source = Translation::Source::stlb;
    ++counters_.stlb_hits;
    fill_tlbs(va, v, false);
  } else {
    t_.source = Translation::Source::walk;
    ++counters_.walks;
    if (!walk(va, write, v)) {
      replay_.valid = t_.status == Translation::Status::ept_violation && walk_reads_ <= kMaxWalkRefs &&
                      generation() == generation_before;
      if (replay_.valid) {
        replay_.vpn = va >> 12;
        replay_.write = write;
        replay_.generation = generation_before;
        replay_.t = t_;
        replay_.delta = MmuCounters{};
        add_counters(replay_.delta, counters_, counters_before);
        replay_.reads = walk_reads_;
        std::copy_n(walk_read_.begin(), walk_reads_, replay_.read.begin());
      }
      return t_;
    }
    fill_tlbs(va, v, true);
  }
  const u64 offset = va & ((u64{1} << v.page_shift) - 1);
  t_.gpa = v.gpa_page + offset;
  t_.hpa = v.hpa_page + offset;
  t_.page_shift = v.page_shift;
  t_.writable = v.writable;
  t_.uncached = v.uncached;
  return t_;
}

bool Mmu::lookup_tlb(AssocCache<TlbValue>& tlb, Gva va, bool write, TlbValue& out) {
  for (unsigned shift : kTlbShifts) {
    const u64 vpn = (va & kLinearMask) >> shift;
    if (TlbValue* v = tlb.find(vpn, tlb_tag(vpn, shift))) {
      // A write through an entry that does not allow it walks again, as the
      // hardware re-checks the tables before it faults.
      if (write && !v->writable) return false;
      out = *v;
      return true;
    }
  }
  return false;
}

void Mmu::fill_tlbs(Gva va, const TlbValue& v, bool stlb_too) {
  const u64 vpn = (va & kLinearMask) >> v.page_shift;
  const u64 tag = tlb_tag(vpn, v.page_shift);
  if (stlb_too) stlb_.insert(vpn, tag, v);
  const auto f = dtlb_.insert(vpn, tag, v);
  t_.in_dtlb = dtlb_.enabled();
  if (f.evicted) {
    const unsigned shift = tlb_tag_shift(f.evicted_tag);
    t_.dtlb_evicted = true;
    t_.evicted_va = (f.evicted_tag >> 2) << shift;
    t_.evicted_size = u64{1} << shift;
  }
}

bool Mmu::fail(Translation::Status s) {
  t_.status = s;
  ++counters_.faults;
  return false;
}

void Mmu::add_ref(Hpa hpa, WalkDim dim, unsigned level) {
  if (t_.refs < kMaxWalkRefs) t_.ref[t_.refs++] = WalkRef{hpa, dim, static_cast<u8>(level)};
  ++(dim == WalkDim::guest ? counters_.guest_refs : counters_.ept_refs);
}

Mmu::Nested Mmu::nested(Gpa gpa) {
  Nested n;
  if (!ept_) {
    // Native: guest-physical is host-physical, write-back, no size limit.
    n.present = true;
    n.hpa = gpa;
    n.leaf = ept::kRwx | ept::kWB;
    n.page_shift = 30;
    return n;
  }
  const ept::WalkResult w = ept_->walk(gpa);
  for (unsigned i = 0; i < w.refs; ++i) note_read(w.ref_hpa[i], mem_.read_u64(w.ref_hpa[i]));
  // The deepest cached EPT entry lets the walk start below it. The walk
  // itself always reads the tables: the cache decides which references are
  // made, the tables what they say (the hypervisor INVEPTs on every edit, so
  // a cached entry never disagrees with memory).
  unsigned skip = 0;
  for (unsigned level = 3; level-- > 0;) {
    const u64 tag = ept_psc_tag(gpa, level);
    if (ept_psc_.find(tag, tag)) {
      skip = level + 1;
      ++counters_.ept_psc_hits;
      break;
    }
  }
  if (w.refs > 0) {
    skip = std::min(skip, w.refs - 1);
    for (unsigned i = skip; i < w.refs; ++i) add_ref(w.ref_hpa[i], WalkDim::ept, i);
  }
  // A successful walk caches the non-leaf entries it read. One that ends in
  // an EPT violation caches nothing: the SDM allows either, and ivsim follows
  // KVM's observation that an MMIO access repeats its walk every time
  // (latency reference section 2).
  if (w.present)
    for (unsigned level = skip; level + 1 < w.refs; ++level) {
      const u64 tag = ept_psc_tag(gpa, level);
      ept_psc_.insert(tag, tag, 1);
    }
  n.present = w.present;
  n.misconfigured = w.misconfigured;
  n.hpa = w.hpa;
  n.leaf = w.leaf;
  n.page_shift = w.page_shift;
  return n;
}

bool Mmu::walk(Gva va, bool write, TlbValue& out) {
  Gpa gpa = va;
  unsigned guest_shift = 30;  // no guest paging: the EPT alone sizes the page
  bool writable = true;
  bool global = false;
  unsigned pat_index = 0;  // no guest paging: PAT entry 0 (WB at power-on)

  if (paging_) {
    if (!x86::is_canonical(va)) return fail(Translation::Status::guest_fault);
    const u64 la = va & kLinearMask;
    using x86::Level;
    Level l = Level::pml4;
    Hpa table = 0;
    bool cached = false;
    // The deepest paging-structure cache that hits skips the most: a PDE-cache
    // hit leaves only the PTE to read.
    for (unsigned c = 3; c-- > 0 && !cached;) {
      const Level entry_level = static_cast<Level>(c);
      const u64 key = la >> x86::level_shift(entry_level);
      if (PscValue* p = guest_psc_[c].find(key, key)) {
        table = p->table_hpa;
        writable = p->writable;
        l = x86::next_level(entry_level);
        ++counters_.guest_psc_hits[c];
        cached = true;
      }
    }
    if (!cached) {
      const Gpa root = cr3_ & x86::kCr3AddrMask;
      const Nested n = nested(root);
      if (n.misconfigured) {
        t_.gpa = root;
        return fail(Translation::Status::ept_misconfig);
      }
      if (!n.present || !(n.leaf & ept::kRead)) {
        t_.fault_gpa = root;
        return fail(Translation::Status::table_ept_violation);
      }
      table = n.hpa;
    }
    for (;;) {
      const Hpa slot = table + x86::level_index(la, l) * sizeof(u64);
      add_ref(slot, WalkDim::guest, static_cast<unsigned>(l));
      const u64 e = mem_.read_u64(slot);
      note_read(slot, e);
      if (!(e & x86::kPresent)) {
        t_.fault_level = l;
        return fail(Translation::Status::guest_fault);
      }
      writable = writable && (e & x86::kWritable) != 0;
      if (x86::is_leaf(e, l)) {
        guest_shift = x86::level_shift(l);
        gpa = x86::entry_base(e, l) | (la & (x86::level_page_size(l) - 1));
        global = (e & x86::kGlobal) != 0;
        pat_index = x86::pat_index(e, l);
        break;
      }
      const Gpa next = e & x86::kAddrMask;
      const Nested n = nested(next);
      if (n.misconfigured) {
        t_.gpa = next;
        return fail(Translation::Status::ept_misconfig);
      }
      if (!n.present || !(n.leaf & ept::kRead)) {
        t_.fault_gpa = next;
        return fail(Translation::Status::table_ept_violation);
      }
      const u64 key = la >> x86::level_shift(l);
      guest_psc_[static_cast<unsigned>(l)].insert(key, key, PscValue{n.hpa, writable});
      table = n.hpa;
      l = x86::next_level(l);
    }
    if (write && !writable) {
      t_.fault_level = l;
      return fail(Translation::Status::guest_fault);
    }
  }

  t_.gpa = gpa;
  const Nested n = nested(gpa);
  if (n.misconfigured) return fail(Translation::Status::ept_misconfig);
  if (!n.present || !(n.leaf & (write ? ept::kWrite : ept::kRead))) return fail(Translation::Status::ept_violation);
  // A combined mapping is as large as the smaller of the two pages.
  const unsigned shift = std::min(guest_shift, n.page_shift);
  const u64 mask = (u64{1} << shift) - 1;
  out.gpa_page = gpa & ~mask;
  out.hpa_page = n.hpa & ~mask;
  out.page_shift = static_cast<u8>(shift);
  out.writable = writable && (n.leaf & ept::kWrite) != 0;
  out.uncached = !cacheable(access_memory_type(n.leaf, pat_index, pat_));
  out.global = global;
  return true;
}

}  // namespace ivsim
