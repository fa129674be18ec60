// RFC 4787 section 5 filtering: which inbound packets a mapping lets through.
#pragma once

#include "nat-models/mapping_table.h"
#include "protocol/endpoint.h"
#include "protocol/nat_taxonomy.h"
#include "protocol/time.h"

namespace yt::nat {

// Whether a packet from `remote` may pass mapping `m` at `now`:
//   EIF:  always (the mapping's existence is enough);
//   ADF:  the inside has a live session with some endpoint of remote's IP;
//   APDF: the inside has a live session with remote itself.
// "Live session" means the inside sent to that remote through this mapping (or a
// TCP connection with it is tracked) and it has not timed out.
bool filter_allows(FilteringBehavior filtering, const Mapping& m, Endpoint remote, Time now);

}  // namespace yt::nat
