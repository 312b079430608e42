#include "platforms/cache_allocation.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

namespace ivsim {

namespace {

std::string hex(u64 v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string at(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

const char* type_name(CachePolicyType t) { return to_string(t); }

// The board's data or unified cache of that level and id.
const CacheInfo* find_cache(const Board& b, unsigned level, unsigned id) {
  for (const CacheInfo& c : b.caches)
    if (c.type != 2 && c.level == level && c.id == id) return &c;
  return nullptr;
}

// The board's data or unified cache of that level serving the pCPU.
const CacheInfo* cache_serving(const Board& b, unsigned level, unsigned pcpu) {
  for (const CacheInfo& c : b.caches)
    if (c.type != 2 && c.level == level && std::count(c.pcpus.begin(), c.pcpus.end(), pcpu)) return &c;
  return nullptr;
}

std::string cache_name(unsigned level, unsigned id) { return "level-" + std::to_string(level) + " cache " + hex(id); }

std::string pcpu_list(const std::vector<unsigned>& ids) {
  std::string s;
  for (unsigned p : ids) s += (s.empty() ? "" : ", ") + std::to_string(p);
  return s;
}

bool contiguous(u64 m) {
  const u64 low = m >> __builtin_ctzll(m);
  return (low & (low + 1)) == 0;
}

// What library/rdt.py merges: one vCPU's masks, by cache and type.
using PolicyKey = std::tuple<unsigned, unsigned, CachePolicyType>;  // level, id, type
using PolicyMasks = std::map<PolicyKey, u64>;

bool agree(const PolicyMasks& a, const PolicyMasks& b) {
  for (const auto& [key, mask] : a) {
    const auto it = b.find(key);
    if (it != b.end() && it->second != mask) return false;
  }
  return true;
}

// The CLOS IDs the allocation needs: vCPUs whose masks agree on every cache
// (a cache one of them leaves out agrees with anything) share one, merged in
// the order the policies name them; with CDP each takes two (a code and a
// data mask).
std::size_t clos_needed(const Scenario& s, bool cdp) {
  std::vector<std::pair<std::string, unsigned>> owners;
  std::map<std::pair<std::string, unsigned>, PolicyMasks> masks;
  for (const CacheAllocation& a : s.cache_allocation)
    for (const CachePolicy& p : a.policies) {
      const auto owner = std::make_pair(p.vm, p.vcpu);
      if (!masks.count(owner)) owners.push_back(owner);
      masks[owner][PolicyKey{a.cache_level, a.cache_id, p.type}] = p.clos_mask;
    }
  std::vector<PolicyMasks> merged;
  for (const auto& owner : owners) {
    const PolicyMasks& m = masks[owner];
    auto it = std::find_if(merged.begin(), merged.end(), [&](const PolicyMasks& r) { return agree(r, m); });
    if (it == merged.end())
      merged.push_back(m);
    else
      it->insert(m.begin(), m.end());
  }
  return merged.size() * (cdp ? 2 : 1);
}

}  // namespace

const char* to_string(CachePolicyType t) {
  switch (t) {
    case CachePolicyType::code:
      return "Code";
    case CachePolicyType::data:
      return "Data";
    case CachePolicyType::unified:
      break;
  }
  return "Unified";
}

void check_cache_allocation(const Scenario& s, const Board& b, const CacheAllocationFail& fail) {
  const std::string rdt = "hypervisor.rdt", ca = "hypervisor.cache_allocation";
  // checks/rdt_support.xsd. CDP without RDT is ignored, as ACRN does (its
  // own shared_launch_6user_vm.xml sample has CDP_ENABLED=y, RDT_ENABLED=n).
  const bool cdp = s.rdt.enabled && s.rdt.cdp;
  if (s.rdt.vcat && !s.rdt.enabled)
    fail(rdt + ".vcat", "virtual CAT (VCAT_ENABLED) needs hypervisor.rdt.enabled (RDT_ENABLED) set to true");
  if (s.rdt.vcat && s.rdt.cdp)
    fail(rdt + ".cdp", "virtual CAT (VCAT_ENABLED) may be enabled only when Code and Data Prioritization is off");
  if (cdp)
    for (const CacheInfo& c : b.caches)
      if (c.type != 2 && (c.level == 2 || c.level == 3) && !c.cat.cdp)
        fail(rdt + ".cdp", "Code and Data Prioritization needs the CDP capability on every L2 and L3 cache; board " +
                               b.name + "'s " + cache_name(c.level, c.id) + " has none");
  if (s.cache_allocation.empty()) return;
  if (!s.rdt.enabled) fail(ca, "cache allocation needs hypervisor.rdt.enabled (RDT_ENABLED) set to true");

  std::map<std::pair<unsigned, unsigned>, std::string> seen;  // (level, id) -> its allocation's path
  for (std::size_t i = 0; i < s.cache_allocation.size(); ++i) {
    const CacheAllocation& a = s.cache_allocation[i];
    const std::string p = at(ca, i);
    const std::string name = cache_name(a.cache_level, a.cache_id);
    const CacheInfo* c = find_cache(b, a.cache_level, a.cache_id);
    if (!c) {
      std::string ids;
      for (const CacheInfo& o : b.caches)
        if (o.type != 2 && o.level == a.cache_level) ids += (ids.empty() ? "" : ", ") + hex(o.id);
      fail(p + ".cache_id", "board " + b.name + " has no " + name + " (its level-" + std::to_string(a.cache_level) +
                                " cache ids: " + (ids.empty() ? std::string("none") : ids) + ")");
    }
    if (!c->cat.present())
      fail(p + ".cache_id", "board " + b.name + "'s " + name +
                                " has no cache allocation (no <capability id=\"CAT\"> in the board file)");
    const auto key = std::make_pair(a.cache_level, a.cache_id);
    if (seen.count(key)) fail(p + ".cache_id", name + " is allocated twice (also " + seen[key] + ")");
    seen[key] = p;

    const u64 widest = (u64{1} << c->cat.capacity_mask_length) - 1;
    std::map<std::tuple<std::string, unsigned, CachePolicyType>, std::string> owners;
    for (std::size_t j = 0; j < a.policies.size(); ++j) {
      const CachePolicy& pol = a.policies[j];
      const std::string pp = at(p + ".policies", j);
      const VmConfig* vm = s.find_vm(pol.vm);
      if (!vm) {
        std::string names;
        for (const VmConfig& v : s.vms) names += (names.empty() ? "" : ", ") + v.name;
        fail(pp + ".vm", "unknown VM \"" + pol.vm + "\" (VMs: " + names + ")");
      }
      if (pol.vcpu >= vm->pcpus.size())
        fail(pp + ".vcpu", "VM " + pol.vm + " has " + std::to_string(vm->pcpus.size()) + " vCPUs (0-" +
                               std::to_string(vm->pcpus.size() - 1) + "), not vCPU " + std::to_string(pol.vcpu));
      const unsigned pcpu = vm->pcpus[pol.vcpu];
      if (!std::count(c->pcpus.begin(), c->pcpus.end(), pcpu))
        fail(pp + ".vcpu", "VM " + pol.vm + "'s vCPU " + std::to_string(pol.vcpu) + " runs on pCPU " +
                               std::to_string(pcpu) + ", which " + name + " does not serve (it serves pCPUs " +
                               pcpu_list(c->pcpus) + ")");
      if (cdp && pol.type == CachePolicyType::unified)
        fail(pp + ".type", "with Code and Data Prioritization on, a policy is Code or Data, not Unified");
      if (!cdp && pol.type != CachePolicyType::unified)
        fail(pp + ".type", std::string("a ") + type_name(pol.type) +
                               " policy needs Code and Data Prioritization: hypervisor.rdt.cdp (CDP_ENABLED) true "
                               "and a board whose caches have the CDP capability; otherwise use Unified");
      const auto owner = std::make_tuple(pol.vm, pol.vcpu, pol.type);
      if (owners.count(owner))
        fail(pp + ".vcpu", "VM " + pol.vm + "'s vCPU " + std::to_string(pol.vcpu) + " already has a " +
                               type_name(pol.type) + " policy for " + name + " (" + owners[owner] + ")");
      owners[owner] = pp;
      // hv_cfg_lib.py: cat_max_mask_check; a zero or split bitmask is also
      // refused by the processor (#GP on the IA32_*_MASK_n write).
      if (pol.clos_mask == 0) fail(pp + ".clos_mask", "the mask must select at least one way, got 0x0");
      if (pol.clos_mask > widest)
        fail(pp + ".clos_mask", "mask " + hex(pol.clos_mask) + " is wider than the " + name + "'s " +
                                    std::to_string(c->cat.capacity_mask_length) +
                                    "-bit capacity bitmask (capacity_mask_length): at most " + hex(widest));
      if (!contiguous(pol.clos_mask))
        fail(pp + ".clos_mask",
             "mask " + hex(pol.clos_mask) + " is not contiguous: CAT takes one run of set bits (e.g. 0x0f0)");
    }
  }

  // checks/rdt_support.xsd: fewer CLOS IDs than the smallest clos_number of
  // the board's CAT caches (with CDP on, the hardware pairs them).
  unsigned clos = 0;
  for (const CacheInfo& c : b.caches)
    if (c.type != 2 && c.cat.present()) clos = clos == 0 ? c.cat.clos_number : std::min(clos, c.cat.clos_number);
  const std::size_t needed = clos_needed(s, cdp);
  if (needed >= clos)
    fail(ca, "the cache allocation needs " + std::to_string(needed) + " CLOS IDs" +
                 (cdp ? " (two per class with CDP)" : "") + "; board " + b.name + " supports fewer than " +
                 std::to_string(clos) + " (the smallest clos_number of its CAT caches)");
}

WayMask cbm_ways(u64 cbm, unsigned length, unsigned ways) {
  WayMask out = 0;
  for (unsigned w = 0; w < ways && w < SetAssocCache::kMaxMaskedWays; ++w)
    for (unsigned i = 0; i < length; ++i)
      // Slice i is [i/length, (i+1)/length) of the ways; way w is [w/ways, (w+1)/ways).
      if (((cbm >> i) & 1) && u64{i} * ways < u64{w + 1} * length && u64{w} * length < u64{i + 1} * ways) {
        out |= WayMask{1} << w;
        break;
      }
  return out;
}

FillWays vcpu_fill_ways(const Scenario& s, const Board& b, const std::string& vm_name, unsigned vcpu) {
  FillWays f;
  const VmConfig* vm = s.find_vm(vm_name);
  if (!s.rdt.enabled || !vm || vcpu >= vm->pcpus.size()) return f;
  const unsigned pcpu = vm->pcpus[vcpu];
  unsigned last_level = 0;
  for (const CacheInfo& c : b.caches)
    if (c.type != 2) last_level = std::max(last_level, c.level);
  for (const CacheAllocation& a : s.cache_allocation) {
    const CacheInfo* c = cache_serving(b, a.cache_level, pcpu);
    if (!c || c->id != a.cache_id || !c->cat.present()) continue;
    for (const CachePolicy& p : a.policies) {
      // Only data accesses are modelled: a Code policy (CDP) changes nothing.
      if (p.vm != vm_name || p.vcpu != vcpu || p.type == CachePolicyType::code) continue;
      const WayMask ways = cbm_ways(p.clos_mask, c->cat.capacity_mask_length, c->ways);
      if (a.cache_level == 2) f.l2 = ways;
      if (a.cache_level == last_level && last_level > 2) f.llc = ways;
    }
  }
  return f;
}

}  // namespace ivsim
