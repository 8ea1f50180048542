import HadoopConfig
import NetworkPlanner
import RuntimeBase
import Testing
import YarnContract

/// `network.tunnel=vxlan`'s pure parts: config checks, application keys, the ip scripts and the nft additions.
@Suite struct TunnelPlanTests {
    static let nodes = "10.244.1.0/24@10.200.0.1,10.244.2.0/24@10.200.0.2,10.244.3.0/24@10.200.0.3"

    static func settings(_ extra: String = "") throws -> NetworkSettings {
        try NetworkPlanTests.settings("  network.tunnel=vxlan\n  network.nodes=\(nodes)\n\(extra)")
    }

    @Test("config: nodes parse, this node's entry is found, the MTU drops by the VXLAN header")
    func config() throws {
        let settings = try Self.settings()
        #expect(settings.tunnel && settings.tunnelPort == 4789 && settings.nodes.count == 3)
        #expect(settings.ownNode?.address.description == "10.200.0.1" && settings.containerMTU == 1450)
        #expect(try NetworkPlanTests.settings().containerMTU == nil)
        #expect(try Self.settings("  network.mtu=8950").containerMTU == 8950)
    }

    @Test("config: a tunnel that could misroute a tenant is refused", arguments: [
        "network.nodes=10.244.2.0/24@10.200.0.2",                                  // this node missing
        "network.nodes=10.244.1.0/24@10.200.0.1,10.245.0.0/24@10.200.0.2",         // outside the cluster
        "network.nodes=10.244.1.0/24@10.200.0.1,10.244.1.128/25@10.200.0.2",       // overlapping blocks
        "network.nodes=10.244.1.0/24@10.200.0.1,10.244.2.0/24@10.200.0.1",         // one address twice
        "network.nodes=10.244.1.0/24",                                             // no address
        "network.nodes=10.244.1.0/24@10.200.0.1\n  network.tunnel.port=0",
        "network.nodes=10.244.1.0/24@10.200.0.1\n  network.mtu=100",
    ])
    func configErrors(_ nodes: String) {
        do { _ = try NetworkPlanTests.settings("  network.tunnel=vxlan\n  \(nodes)"); Issue.record("accepted \(nodes)") } catch let error as RuntimeError {
            #expect(error.code == .invalidConfigFile)
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test("keys: within the VNI range, one per sequence number in an epoch, shifted between epochs")
    func keys() throws {
        var seen = Set<UInt32>()
        for sequence in 1...5000 {
            let key = TunnelPlan.key(of: try ApplicationId("application_1795555676958_\(String(format: "%04d", sequence))"))
            #expect(key >= 1 && key < 1 << 24)
            seen.insert(key)
        }
        #expect(seen.count == 5000)
        let a = TunnelPlan.key(of: try ApplicationId("application_1795555676958_0001"))
        let b = TunnelPlan.key(of: try ApplicationId("application_1795555676959_0001"))
        let first = try ApplicationId("application_1795555676958_0001")
        let huge = try ApplicationId("application_1795555676958_9999999999999999999")
        #expect(a != b && TunnelPlan.table(of: first) == TunnelPlan.tableBase + a)
        #expect(TunnelPlan.key(of: huge) < 1 << 24)
    }

    @Test("ip scripts: device with privileged source ports, peers' neighbours, per-key table and rules")
    func scripts() throws {
        let plan = TunnelPlan(settings: try Self.settings())
        let app = try ApplicationId("application_1795555676958_0001")
        let key = TunnelPlan.key(of: app), table = TunnelPlan.table(of: app)
        #expect(TunnelPlan.mac(of: IPv4Address("10.200.0.1")!) == "02:6b:0a:c8:00:01")
        #expect(plan.nodeCommands.first == "link add kyr-vxlan address 02:6b:0a:c8:00:01 mtu 1450 type vxlan external dstport 4789 srcport 1000 1024 nolearning")
        #expect(plan.nodeCommands.contains("neigh replace 10.200.0.3 lladdr 02:6b:0a:c8:00:03 dev kyr-vxlan nud permanent"))
        #expect(!plan.nodeCommands.contains { $0.contains("10.200.0.1 lladdr") }, "no neighbour for this node itself")
        #expect(plan.nodeCommands.last == "rule add iif kyr-vxlan blackhole pref 1001")
        #expect(plan.applicationCommands(app) == [
            "rule add tun_id \(key) lookup \(table) pref 1000",
            "route replace 10.244.2.0/24 via 10.200.0.2 dev kyr-vxlan onlink encap ip id \(key) dst 10.200.0.2 table \(table)",
            "route replace 10.244.3.0/24 via 10.200.0.3 dev kyr-vxlan onlink encap ip id \(key) dst 10.200.0.3 table \(table)",
        ])
        var container = try NetworkPlanTests.plan()
        container.mtu = 1450
        #expect(TunnelPlan.containerCommands(container) == [
            "route replace 10.244.1.2/32 dev \(container.hostInterface) scope link table \(table)",
            "rule add from 10.244.1.2/32 lookup \(table) pref 1000",
        ])
        #expect(container.hostCommands.first?.contains("\(container.hostInterface) mtu 1450 type veth peer name eth0 mtu 1450 netns") == true)
        #expect(TunnelPlan.applicationTeardown(app) == ["rule del tun_id \(key) lookup \(table) pref 1000", "route flush table \(table)"])
    }

    @Test("nft: tunnel frames only from listed nodes' privileged ports; cluster sources only through the tunnel")
    func nft() throws {
        let script = NFTRules.setup(try NetworkPlanTests.plan(), settings: try Self.settings(), minUserId: 1000)
        #expect(script.contains("add rule inet kata_yarn input udp dport 4789 ip saddr != { 10.200.0.1, 10.200.0.2, 10.200.0.3 } drop\n"))
        #expect(script.contains("add rule inet kata_yarn input udp dport 4789 udp sport != 1000-1023 drop\n"))
        #expect(script.contains("in_\(NetworkPlanTests.cid) iifname != \"kyr-vxlan\" ip saddr 10.244.0.0/16 drop\n"))
        let plain = NFTRules.setup(try NetworkPlanTests.plan(), settings: try NetworkPlanTests.settings(), minUserId: 1000)
        #expect(!plain.contains("kyr-vxlan") && !plain.contains("4789"))
    }
}
