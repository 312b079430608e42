// The scenario's `noise:` section (docs/realtime.md): which sources of
// variation run. Absent: all of them.
#pragma once

#include "platforms/scenario.h"
#include "sim/scenario_fields.h"

namespace ivsim {

// `noise: off` / `noise: on`, or a mapping of sources each `on` or `off`
// (the Service VM's background work also as a mapping of its parameters).
NoiseConfig read_noise(FieldReader& r, const Node* n);

}  // namespace ivsim
