import HadoopConfig

/// The tenant policy as `nft -f` scripts, in one table `inet kata_yarn` the runtime owns. Base chains dispatch
/// on the host-side veth through verdict maps to per-container chains (`out_<cid>`, `in_<cid>`, `node_<cid>`);
/// per-application sets (`app_<application id>`) hold the addresses of that application's containers here.
/// Each script is one transaction: nft applies all of it or nothing. Pure.
public enum NFTRules {
    public static let table = "inet kata_yarn"
    /// What a container's own connection that the policy refuses gets: an immediate ICMP "administratively
    /// prohibited" (connect fails with EHOSTUNREACH, a resolver moves on) instead of silence, where every blocked DNS
    /// query costs the resolver's full timeout (5 s x 2 tries: 10 s in every JVM's start-up, measured with Spark).
    static let refuse = "reject with icmpx admin-prohibited"

    /// Idempotent skeleton; the base chains are flushed and refilled in the same transaction, so concurrent
    /// launches never see a half-built table.
    static func skeleton(minUserId: UInt32, settings: NetworkSettings) -> [String] {
        let t = table
        var lines = [
            "add table \(t)",
            "add set \(t) local { type ipv4_addr; }",
            "add map \(t) egress { type ifname : verdict; }",
            "add map \(t) ingress { type ifname : verdict; }",
            "add map \(t) tonode { type ifname : verdict; }",
            "add chain \(t) forward { type filter hook forward priority 0; policy accept; }",
            "add chain \(t) input { type filter hook input priority 0; policy accept; }",
            "add chain \(t) output { type filter hook output priority 0; policy accept; }",
            "flush chain \(t) forward",
            "flush chain \(t) input",
            "flush chain \(t) output",
            "add rule \(t) forward ct state established,related accept",
            "add rule \(t) forward iifname vmap @egress",
            "add rule \(t) forward oifname vmap @ingress",
        ] + NodeAddressShare.hostSkeleton(settings: settings)
        if settings.tunnel {
            // The tunnel's key is trusted only from the kernel of a listed node: from a listed address and a
            // privileged source port (TunnelPlan.sourcePorts), which no tenant process on a node can send from.
            let nodes = settings.nodes.map(\.address.description).joined(separator: ", ")
            let ports = TunnelPlan.sourcePorts
            lines += [
                "add rule \(t) input udp dport \(settings.tunnelPort) ip saddr != { \(nodes) } drop",
                "add rule \(t) input udp dport \(settings.tunnelPort) udp sport != \(ports.lowerBound)-\(ports.upperBound - 1) drop",
                // What the tunnel carries is for containers; the node's own services are reached the ordinary way.
                "add rule \(t) input iifname \"\(TunnelPlan.device)\" ct state new drop",
            ]
        }
        lines += [
            "add rule \(t) input ct state established,related accept",
            "add rule \(t) input iifname vmap @tonode",
            // Tenants' processes in the node's own namespace (host-network containers, logins) cannot dial in.
            "add rule \(t) output oifname \"ky*\" meta skuid >= \(minUserId) ct state new drop",
        ]
        return lines
    }

    public static func chainNames(_ plan: ContainerNetworkPlan) -> [String] {
        ["out_", "in_", "node_"].map { $0 + plan.containerId.value }
    }

    public static func appSet(_ plan: ContainerNetworkPlan) -> String { "app_" + plan.applicationId.value }

    public static func setup(_ plan: ContainerNetworkPlan, settings: NetworkSettings, minUserId: UInt32) -> String {
        let t = table, ip = plan.address.description, app = appSet(plan), dev = "\"\(plan.hostInterface)\""
        let names = chainNames(plan)
        let (out, inbound, node) = (names[0], names[1], names[2])
        var lines = skeleton(minUserId: minUserId, settings: settings)
        lines += [
            "add set \(t) \(app) { type ipv4_addr; }",
            "add element \(t) \(app) { \(ip) }",
            "add element \(t) local { \(ip) }",
        ]
        for chain in names { lines += ["add chain \(t) \(chain)", "flush chain \(t) \(chain)"] }
        // Leaving the container (forwarded): only its own address (spoofed sources vanish); same application here;
        // other applications here never; other nodes' containers; configured services; nothing else (refused).
        lines += [
            "add rule \(t) \(out) meta nfproto ipv6 drop",
            "add rule \(t) \(out) ip saddr != \(ip) drop",
            "add rule \(t) \(out) ip daddr @\(app) accept",
            "add rule \(t) \(out) ip daddr @local \(refuse)",
        ]
        if let cluster = settings.cluster, let range = settings.range {
            lines.append("add rule \(t) \(out) ip daddr != \(range) ip daddr \(cluster) accept")
        }
        for endpoint in settings.allow {
            if let port = endpoint.port {
                lines.append("add rule \(t) \(out) ip daddr \(endpoint.network) meta l4proto { tcp, udp } th dport \(port) accept")
            } else {
                lines.append("add rule \(t) \(out) ip daddr \(endpoint.network) accept")
            }
        }
        lines.append("add rule \(t) \(out) \(refuse)")
        // Entering the container: never from another application's container on this node.
        lines += [
            "add rule \(t) \(inbound) meta nfproto ipv6 drop",
            "add rule \(t) \(inbound) ip saddr @\(app) accept",
            "add rule \(t) \(inbound) ip saddr @local drop",
        ]
        if settings.tunnel, let cluster = settings.cluster {
            // Other nodes' containers come through the tunnel, whose routing already matched the key to this
            // application; the same addresses arriving any other way carry no proof of their application.
            lines.append("add rule \(t) \(inbound) iifname != \"\(TunnelPlan.device)\" ip saddr \(cluster) drop")
        }
        // To this node itself: the NodeManager's shuffle ports and ping; its private ports never.
        lines.append("add rule \(t) \(node) ip saddr != \(ip) drop")
        if !settings.nodePorts.isEmpty {
            lines.append("add rule \(t) \(node) tcp dport { \(settings.nodePorts.map(String.init).joined(separator: ", ")) } accept")
        }
        lines += [
            "add rule \(t) \(node) icmp type echo-request accept",
            "add rule \(t) \(node) \(refuse)",
            "add element \(t) egress { \(dev) : jump \(out) }",
            "add element \(t) ingress { \(dev) : jump \(inbound) }",
            "add element \(t) tonode { \(dev) : jump \(node) }",
        ]
        if let share = plan.share { lines += share.hostElements(containerAddress: plan.address) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Removes one container's objects. `lastOfApplication`: also its application's set; `lastOnNode`: the
    /// whole table instead (the caller decides both under the IPAM lock from the allocation records).
    public static func teardown(_ plan: ContainerNetworkPlan, lastOfApplication: Bool, lastOnNode: Bool) -> [String] {
        let t = table, dev = "\"\(plan.hostInterface)\""
        if lastOnNode { return ["delete table \(t)"] }
        var lines = ["egress", "ingress", "tonode"].map { "delete element \(t) \($0) { \(dev) }" }
        for chain in chainNames(plan) { lines += ["flush chain \(t) \(chain)", "delete chain \(t) \(chain)"] }
        lines.append("delete element \(t) local { \(plan.address) }")
        if let share = plan.share { lines += share.hostElementRemovals(containerAddress: plan.address) }
        lines.append(lastOfApplication ? "delete set \(t) \(appSet(plan))" : "delete element \(t) \(appSet(plan)) { \(plan.address) }")
        return lines
    }
}
