#include "models/core/tracer.h"

namespace ivsim::trace::detail {

Sink* g_sink = nullptr;

}  // namespace ivsim::trace::detail
