/* SPDX-License-Identifier: BSD-3-Clause
 * cluster.h for the control plane: the view of its MARS service, or, for
 * a control plane built without one (unit tests), this node alone.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "cp_impl.h"
#include "mars/mars.h"
#include "mars/view.h"
#include "crypto/random.h"

int hy_cp_cluster_view(struct hy_cp *cp, struct hy_cluster_view *out)
{
	if (cp->mars != NULL)
		return hy_mars_view(cp->mars, out);
	memset(out, 0, offsetof(struct hy_cluster_view, nodes));
	hy_cp_cluster_local(cp, &out->nodes[0]);
	out->n_nodes = 1;
	out->leader = cp->node.id;
	out->term = 1;
	strcpy(out->role, "alone");
	return 0;
}

int hy_cp_cluster_node(struct hy_cp *cp, uint32_t id, struct hy_cluster_node *out)
{
	if (cp->mars != NULL)
		return hy_mars_node(cp->mars, id, out);
	if (id != cp->node.id)
		return -1;
	hy_cp_cluster_local(cp, out);
	return 0;
}

int hy_cp_cluster_pick(struct hy_cp *cp, uint8_t transport, uint32_t exclude_id,
		       struct hy_cluster_node *out)
{
	struct hy_cluster_node self;

	if (cp->mars != NULL)
		return hy_mars_pick(cp->mars, transport, exclude_id, out);
	hy_cp_cluster_local(cp, &self);
	if (self.id == exclude_id || !hy_view_fits(&self, self.version, transport))
		return -1;
	*out = self;
	return 0;
}
