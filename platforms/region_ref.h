// How a workload names its IVSHMEM region: "NAME", or with ACRN's own prefix
// "hv:/NAME" / "dm:/NAME". The prefix is needed only when a Hypervisor and a
// Device Model region share NAME (ACRN keeps the two name spaces apart).
#pragma once

#include <string>
#include <vector>

#include "platforms/scenario.h"

namespace ivsim {

struct RegionRef {
  std::string name;  // without prefix
  bool has_provider = false;
  Provider provider = Provider::hypervisor;
};

RegionRef parse_region_ref(const std::string& text);

// The regions `ref` can mean (several only for an unprefixed shared name).
std::vector<const RegionConfig*> matching_regions(const std::vector<RegionConfig>& regions, const RegionRef& ref);

// The one region `text` names; nullptr when none or ambiguous (the loader
// has rejected both for a validated scenario).
const RegionConfig* find_region(const Scenario& scenario, const std::string& text);

// The shortest text that names `region` unambiguously among `regions`: the
// bare name, or the prefixed one when the other provider uses it too.
std::string region_ref_text(const std::vector<RegionConfig>& regions, const RegionConfig& region);

// "hv:/NAME" or "dm:/NAME".
std::string prefixed_region_name(const RegionConfig& region);

}  // namespace ivsim
