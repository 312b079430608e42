#include "platforms/region_ref.h"

namespace ivsim {

RegionRef parse_region_ref(const std::string& text) {
  RegionRef r;
  r.name = text;
  if (text.rfind("hv:/", 0) == 0 || text.rfind("dm:/", 0) == 0) {
    r.has_provider = true;
    r.provider = text[0] == 'h' ? Provider::hypervisor : Provider::device_model;
    r.name = text.substr(4);
  }
  return r;
}

std::vector<const RegionConfig*> matching_regions(const std::vector<RegionConfig>& regions, const RegionRef& ref) {
  std::vector<const RegionConfig*> out;
  for (const auto& r : regions)
    if (r.name == ref.name && (!ref.has_provider || r.provider == ref.provider)) out.push_back(&r);
  return out;
}

const RegionConfig* find_region(const Scenario& scenario, const std::string& text) {
  const auto m = matching_regions(scenario.regions, parse_region_ref(text));
  return m.size() == 1 ? m[0] : nullptr;
}

std::string region_ref_text(const std::vector<RegionConfig>& regions, const RegionConfig& region) {
  RegionRef bare;
  bare.name = region.name;
  return matching_regions(regions, bare).size() > 1 ? prefixed_region_name(region) : region.name;
}

std::string prefixed_region_name(const RegionConfig& region) {
  return (region.provider == Provider::hypervisor ? "hv:/" : "dm:/") + region.name;
}

}  // namespace ivsim
