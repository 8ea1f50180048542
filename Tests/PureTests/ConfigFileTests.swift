import HadoopConfig
import RuntimeBase
import Testing

@Suite struct ConfigFileTests {
    @Test("hadoop grammar: comments anywhere, first '=' pair, first key wins, empty value skipped")
    func grammar() throws {
        let file = try ConfigFile(parsing: """
        yarn.nodemanager.linux-container-executor.group=hadoop # trailing comment
        weird=a=b
        dup=first
        dup=second
        empty=#only a comment
        [runc]
          module.enabled=true
        [kata]
          runtime.default=runsc
        [runc]
          runc.binary=/usr/sbin/runc
        """)
        #expect(file.value("yarn.nodemanager.linux-container-executor.group") == "hadoop")
        #expect(file.value("weird") == "a")
        #expect(file.value("dup") == "first")
        #expect(file.value("empty") == nil)
        #expect(file.value("module.enabled", section: "runc") == "true")
        #expect(file.value("runc.binary", section: "runc") == "/usr/sbin/runc")
        #expect(file.value("runtime.default", section: "kata") == "runsc")
    }

    @Test("a line without '=' (whitespace-only included) is an error, an empty line is not",
          arguments: ["key\nnoequals", "a=b\n   \n", "  # indented comment\n"])
    func rejectsLinesWithoutEquals(_ text: String) {
        #expect(throws: ConfigFile.ParseError.self) { try ConfigFile(parsing: text) }
    }

    @Test("empty lines and column-0 comments are fine")
    func acceptsBlankLines() throws {
        let file = try ConfigFile(parsing: "# header\n\na=1\n\n#x\nb=2\n")
        #expect(file.value("a") == "1" && file.value("b") == "2")
    }

    @Test("executor config: Hadoop defaults and errors map to exit code 24")
    func executorDefaults() throws {
        let config = try ExecutorConfig(parsing: "yarn.nodemanager.linux-container-executor.group=hadoop\n")
        #expect(config.minUserId == 1000)
        #expect(config.bannedUsers == ["yarn", "mapred", "hdfs", "bin"])
        #expect(config.features.runc == false)
        #expect(config.kata.defaultRuntime == "runsc")
        for bad in ["min.user.id=1000\n", "yarn.nodemanager.linux-container-executor.group=h\nmin.user.id=abc\n",
                    "yarn.nodemanager.linux-container-executor.group=h\n[kata]\nruntime.default=docker\n",
                    "yarn.nodemanager.linux-container-executor.group=h\n[kata]\nstate-root=relative\n",
                    "yarn.nodemanager.linux-container-executor.group=h\n[kata]\nro-mounts=/opt/../etc\n"] {
            #expect(throws: RuntimeError.self) { try ExecutorConfig(parsing: bad) }
            do { _ = try ExecutorConfig(parsing: bad) } catch { #expect(error.code == .invalidConfigFile) }
        }
    }

    @Test("feature flags: true/false in any case or 1/0; anything else is off")
    func featureFlags() throws {
        let config = try ExecutorConfig(parsing: """
        yarn.nodemanager.linux-container-executor.group=hadoop
        feature.tc.enabled=TRUE
        feature.terminal.enabled=1
        feature.mount-cgroup.enabled=yes
        [runc]
        module.enabled=true
        """)
        #expect(config.features.tc && config.features.terminal && config.features.runc)
        #expect(!config.features.mountCgroups)
    }

    @Test("the recorded NodeManager's container-executor.cfg parses")
    func recordedConfig() throws {
        let text = try Fixtures.text("config/container-executor.cfg")
        let config = try ExecutorConfig(parsing: text)
        #expect(config.nmGroup == "hadoop")
        #expect(config.features.docker && config.features.runc && config.features.yarnSysfs)
        #expect(config.runc.binary == "/usr/sbin/runc")
        #expect(config.runc.allowedRWMounts == ["/tmp/yarn-nm/local", "/tmp/yarn-nm/logs"])
    }

    @Test("our sample hadoop-conf/container-executor.cfg parses, with its [kata] section")
    func sampleConfig() throws {
        let config = try ExecutorConfig(parsing: try Fixtures.repositoryText("hadoop-conf/container-executor.cfg"))
        #expect(config.nmGroup == "hadoop")
        #expect(KataSection.isRuntimeName(config.kata.defaultRuntime))
        #expect(config.kata.stateRoot.hasPrefix("/"))
    }
}
