/* list.h — every node type, one line each: PT_NODE(name) refers to the
 * const pt_node_type pt_node_<name> defined in src/nodes/<name>.c.
 * Included by registry.c; keep the lines sorted by where they sit in a rig. */
PT_NODE(tuner)
PT_NODE(level)
PT_NODE(gate)
PT_NODE(compressor)
PT_NODE(wah)
PT_NODE(eq)
PT_NODE(drive)
PT_NODE(circuit)
PT_NODE(nam)
PT_NODE(cab)
PT_NODE(phaser)
PT_NODE(flanger)
PT_NODE(chorus)
PT_NODE(tremolo)
PT_NODE(delay)
PT_NODE(reverb)
