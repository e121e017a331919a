package logger

import (
	"fmt"
	"strings"
)

// Graph is a model's computation graph in a neutral form: what a model
// plugin reports and what TensorBoard's graph view draws.
type Graph struct {
	Nodes    []Node
	Producer int32 // GraphDef versions.producer; 0 writes DefaultProducer
}

// Node is one operation of a Graph. A "/" in Name puts the node in a
// collapsible scope, e.g. "network/0/linear" in "network" then "0". Its
// fields match plugins.GraphNode's, so that a model's node converts with
// logger.Node(n). The NodeDef's device is neither written nor read.
type Node struct {
	Name   string
	Op     string
	Inputs []string // names of the nodes whose outputs this one reads
	Shape  []int64  // the output's shape, -1 for an unknown (batch) dimension; nil if unknown
}

// DefaultProducer is the GraphDef version PyTorch's SummaryWriter writes.
const DefaultProducer = 22

// OutputShapesAttr is the node attribute holding the output shapes that the
// graph view writes on edges.
const OutputShapesAttr = "_output_shapes"

// Field numbers of graph.proto, node_def.proto, attr_value.proto and
// versions.proto.
const (
	graphNode     = 1
	graphVersions = 4
	versionsProd  = 1
	nodeName      = 1
	nodeOp        = 2
	nodeInput     = 3
	nodeAttr      = 5
	attrList      = 1
	listShape     = 7
)

// Validate reports the first node with an empty or repeated name, or with
// an input that names no node of g. An input may carry a TensorFlow output
// suffix (":1") or control prefix ("^").
func (g *Graph) Validate() error {
	seen := make(map[string]bool, len(g.Nodes))
	for i, n := range g.Nodes {
		if n.Name == "" {
			return fmt.Errorf("graph node %d has no name", i)
		}
		if seen[n.Name] {
			return fmt.Errorf("graph node %d: name %q is used twice", i, n.Name)
		}
		seen[n.Name] = true
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			name := strings.TrimPrefix(in, "^")
			if i := strings.LastIndexByte(name, ':'); i >= 0 {
				name = name[:i]
			}
			if !seen[name] {
				return fmt.Errorf("graph node %q: input %q names no node", n.Name, in)
			}
		}
	}
	return nil
}

// AppendGraphDef appends g serialized as a GraphDef, each node with its
// output shape in the _output_shapes attribute as PyTorch writes it.
func AppendGraphDef(b []byte, g *Graph) []byte {
	for i := range g.Nodes {
		n := &g.Nodes[i]
		b = appendMessage(b, graphNode, func(b []byte) []byte {
			b = appendBytes(b, nodeName, n.Name)
			b = appendBytes(b, nodeOp, n.Op)
			for _, in := range n.Inputs {
				b = appendBytes(b, nodeInput, in)
			}
			if n.Shape != nil {
				b = appendMessage(b, nodeAttr, func(b []byte) []byte {
					b = appendBytes(b, mapKey, OutputShapesAttr)
					return appendMessage(b, mapValue, func(b []byte) []byte {
						return appendMessage(b, attrList, func(b []byte) []byte {
							return appendMessage(b, listShape, func(b []byte) []byte { return appendShape(b, n.Shape) })
						})
					})
				})
			}
			return b
		})
	}
	producer := g.Producer
	if producer == 0 {
		producer = DefaultProducer
	}
	return appendMessage(b, graphVersions, func(b []byte) []byte { return appendVarint(b, versionsProd, uint64(producer)) })
}

// DecodeGraph decodes a serialized GraphDef. Attributes other than the first
// output shape are skipped.
func DecodeGraph(graphDef []byte) (*Graph, error) {
	g := &Graph{}
	err := walk(graphDef, "GraphDef", func(f field) error {
		switch f.num {
		case graphNode:
			if err := wantBytes("GraphDef.node", f); err != nil {
				return err
			}
			var n Node
			err := decodeNode(&n, f.b)
			g.Nodes = append(g.Nodes, n)
			return err
		case graphVersions:
			if err := wantBytes("GraphDef.versions", f); err != nil {
				return err
			}
			return walk(f.b, "VersionDef", func(f field) error {
				if f.num != versionsProd {
					return nil
				}
				g.Producer = int32(f.u)
				return wantVarint("VersionDef.producer", f)
			})
		}
		return nil
	})
	return g, err
}

func decodeNode(n *Node, msg []byte) error {
	return walk(msg, "NodeDef", func(f field) error {
		var err error
		switch f.num {
		case nodeName:
			err = stringField(&n.Name, "NodeDef.name", f)
		case nodeOp:
			err = stringField(&n.Op, "NodeDef.op", f)
		case nodeInput:
			err = wantBytes("NodeDef.input", f)
			n.Inputs = append(n.Inputs, string(f.b))
		case nodeAttr:
			if err = wantBytes("NodeDef.attr", f); err == nil {
				err = decodeShapeAttr(n, f.b)
			}
		}
		if err != nil {
			return fmt.Errorf("node %q: %w", n.Name, err)
		}
		return nil
	})
}

// decodeShapeAttr sets n.Shape from an attr map entry if it is the first
// shape of _output_shapes.
func decodeShapeAttr(n *Node, entry []byte) error {
	var key string
	var value []byte
	err := walk(entry, "NodeDef.attr entry", func(f field) error {
		switch f.num {
		case mapKey:
			return stringField(&key, "attr key", f)
		case mapValue:
			value = f.b
			return wantBytes("attr value", f)
		}
		return nil
	})
	if err != nil || key != OutputShapesAttr {
		return err
	}
	return walk(value, "AttrValue", func(f field) error {
		if f.num != attrList {
			return nil
		}
		if err := wantBytes("AttrValue.list", f); err != nil {
			return err
		}
		return walk(f.b, "AttrValue.ListValue", func(f field) error {
			if f.num != listShape || n.Shape != nil {
				return nil
			}
			if err := wantBytes("ListValue.shape", f); err != nil {
				return err
			}
			var err error
			n.Shape, err = decodeShape(f.b)
			return err
		})
	})
}
