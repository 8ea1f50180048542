/// The network a sandbox gets: the node's (`host`), loopback only (`none`), or its own namespace with a routed
/// address from this node's range (`routed`, docs/networking.md). Typed from the cfg to the bundle; how a
/// container's mode is resolved lives in NetworkPlanner (`NetworkMode.resolve`).
public enum NetworkMode: String, Sendable, Equatable, CaseIterable {
    case host, none, routed

    /// runsc's `--network` value: `sandbox` (gVisor's netstack in the namespace the spec names) for routed.
    public var runscFlag: String { self == .routed ? "sandbox" : rawValue }
}
