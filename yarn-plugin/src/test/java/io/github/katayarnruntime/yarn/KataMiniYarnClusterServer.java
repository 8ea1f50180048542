package io.github.katayarnruntime.yarn;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CountDownLatch;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A long-running single-node MiniYARNCluster whose NodeManager launches containers through the installed
 * kata-yarn-runtime binary (LinuxContainerExecutor) with this plugin as the {@code kata} runtime — the set-up of
 * {@link KataMiniYarnClusterIT}, kept up so that real clients (spark-submit, yarn jar ...) can use it.
 * Used by scripts/e2e-spark.sh.
 *
 * <p>Usage: {@code KataMiniYarnClusterServer <conf dir> [<NM memory MB> [<NM vcores>]]}, as a non-root member of
 * the binary's group (that user is the NodeManager user). Inputs: {@code KYR_BINARY} (required),
 * {@code KYR_NM_GROUP} (default hadoop). Once the cluster is up it writes {@code <conf dir>/yarn-site.xml} (the live
 * configuration: give the directory to clients as HADOOP_CONF_DIR), {@code <conf dir>/cluster.env}
 * ({@code NM_LOCAL_DIRS=...}, {@code NM_LOG_DIRS=...}, {@code RM_ADDRESS=...}, {@code RM_SCHEDULER_ADDRESS=...},
 * {@code NM_ADDRESS=...}, {@code NODE_ID=...}) and last {@code <conf dir>/ready}.
 * It stops the cluster and exits when {@code <conf dir>/stop} appears or on SIGTERM/SIGINT.
 *
 * <p>Optional inputs:
 * <ul>
 * <li>{@code KYR_EXECUTOR=default}: YARN's own DefaultContainerExecutor instead of the binary: containers are plain
 * processes of the NodeManager user, no sandbox (the "host" baseline of scripts/e2e-spark.sh); KYR_BINARY unused.
 * <li>{@code KYR_CLUSTER_NAME}: the MiniYARNCluster's name, which names its local and log dirs (default kata-e2e).
 * <li>{@code KYR_CLUSTER_HOST=<address>}: RM and NM bind and advertise this address (ephemeral ports) instead of
 * localhost, so that containers in their own network namespace (network=routed) can reach them.
 * </ul>
 * A file {@code <conf dir>/kill} holding an application id makes the server kill that application through
 * YarnClient (what {@code yarn application -kill} does) and then write {@code <conf dir>/kill.done}.
 */
public final class KataMiniYarnClusterServer {
  private KataMiniYarnClusterServer() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: KataMiniYarnClusterServer <conf dir> [<NM memory MB> [<NM vcores>]]");
      System.exit(2);
    }
    File confDir = new File(args[0]).getAbsoluteFile();
    int memoryMb = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
    int vcores = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    boolean hostExecutor = "default".equals(System.getenv("KYR_EXECUTOR"));
    String name = env("KYR_CLUSTER_NAME", "kata-e2e");
    String bindHost = env("KYR_CLUSTER_HOST", "");
    String binary = System.getenv("KYR_BINARY");
    if (!hostExecutor && (binary == null || binary.isEmpty() || !new File(binary).isFile())) {
      System.err.println("KataMiniYarnClusterServer: KYR_BINARY must name the installed kata-yarn-runtime binary");
      System.exit(2);
    }
    String group = System.getenv("KYR_NM_GROUP") == null ? "hadoop" : System.getenv("KYR_NM_GROUP");
    if ("root".equals(System.getProperty("user.name"))) {
      System.err.println("KataMiniYarnClusterServer: run as a non-root member of group " + group);
      System.exit(2);
    }
    String jdk17 = jdk17Opts();

    Configuration conf = new YarnConfiguration();
    if (hostExecutor) {
      conf.set("yarn.nodemanager.container-executor.class",
          "org.apache.hadoop.yarn.server.nodemanager.DefaultContainerExecutor");
    } else {
      conf.set("yarn.nodemanager.container-executor.class",
          "org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor");
      conf.set("yarn.nodemanager.linux-container-executor.path", new File(binary).getAbsolutePath());
      conf.set("yarn.nodemanager.linux-container-executor.group", group);
      conf.setBoolean("yarn.nodemanager.linux-container-executor.nonsecure-mode.limit-users", false);
      conf.set("yarn.nodemanager.runtime.linux.allowed-runtimes", "default,kata");
      conf.set("yarn.nodemanager.runtime.linux.kata.class", KataContainerRuntime.class.getName());
    }
    if (!bindHost.isEmpty()) {
      // MiniYARNCluster otherwise puts every RM and NM address on localhost, which a container with its own
      // network namespace cannot reach. "Fixed ports" only means: take these addresses; port 0 stays ephemeral.
      conf.setBoolean(YarnConfiguration.YARN_MINICLUSTER_FIXED_PORTS, true);
      for (String key : new String[] {YarnConfiguration.RM_ADDRESS, YarnConfiguration.RM_SCHEDULER_ADDRESS,
          YarnConfiguration.RM_RESOURCE_TRACKER_ADDRESS, YarnConfiguration.RM_ADMIN_ADDRESS,
          YarnConfiguration.RM_WEBAPP_ADDRESS, YarnConfiguration.NM_ADDRESS, YarnConfiguration.NM_LOCALIZER_ADDRESS,
          YarnConfiguration.NM_WEBAPP_ADDRESS, YarnConfiguration.NM_COLLECTOR_SERVICE_ADDRESS}) {
        conf.set(key, bindHost + ":0");
      }
      conf.set(YarnConfiguration.RM_HOSTNAME, bindHost);
      conf.set("yarn.nodemanager.hostname", bindHost);
    }
    conf.setInt("yarn.scheduler.minimum-allocation-mb", 128);
    conf.setInt("yarn.scheduler.maximum-allocation-mb", memoryMb);
    conf.setInt("yarn.nodemanager.resource.memory-mb", memoryMb);
    conf.setInt("yarn.nodemanager.resource.cpu-vcores", vcores);
    conf.setInt("yarn.scheduler.maximum-allocation-vcores", vcores);
    conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 0.5f);
    // Allocate vcores as asked (the default calculator counts memory only and hands every container 1 vcore), so
    // that a container's vcores, which the binary turns into its CPU quota, are what the application requested.
    conf.set("yarn.scheduler.capacity.resource-calculator",
        "org.apache.hadoop.yarn.util.resource.DominantResourceCalculator");
    conf.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
    // Keep the containers' local and log dirs after the application so the evidence can be read.
    conf.setInt("yarn.nodemanager.delete.debug-delay-sec", 3600);
    conf.set("yarn.nodemanager.admin-env", "JDK_JAVA_OPTIONS=" + jdk17);
    conf.set("yarn.nodemanager.container-localizer.java.opts", "-Xmx256m " + jdk17);

    final MiniYARNCluster cluster = new MiniYARNCluster(name, 1, 1, 1);
    cluster.init(conf);
    if (!bindHost.isEmpty()) {
      // MiniYARNCluster's NodeManager wrapper puts the NM on localhost whatever the configuration says; its services
      // read these keys when they start, so set them on the NM's own configuration between init and start. The
      // NodeId then becomes this address (no reverse name here), which is what the AM dials and executors bind.
      Configuration nm = cluster.getNodeManager(0).getConfig();
      for (String key : new String[] {YarnConfiguration.NM_ADDRESS, YarnConfiguration.NM_LOCALIZER_ADDRESS,
          YarnConfiguration.NM_WEBAPP_ADDRESS}) {
        nm.set(key, bindHost + ":0");
      }
    }
    cluster.start();
    final CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      cluster.stop();
      stopped.countDown();
    }, "kata-e2e-stop"));

    Configuration live = new YarnConfiguration(cluster.getConfig());
    writeAtomically(new File(confDir, "yarn-site.xml"), live);
    Configuration nmConf = cluster.getNodeManager(0).getConfig();
    StringBuilder env = new StringBuilder();
    env.append("NM_LOCAL_DIRS=").append(nmConf.get("yarn.nodemanager.local-dirs")).append('\n');
    env.append("NM_LOG_DIRS=").append(nmConf.get("yarn.nodemanager.log-dirs")).append('\n');
    env.append("RM_ADDRESS=").append(live.get("yarn.resourcemanager.address")).append('\n');
    env.append("RM_SCHEDULER_ADDRESS=").append(live.get("yarn.resourcemanager.scheduler.address")).append('\n');
    env.append("RM_WEBAPP_ADDRESS=").append(live.get("yarn.resourcemanager.webapp.address")).append('\n');
    env.append("NM_ADDRESS=").append(nmConf.get("yarn.nodemanager.address")).append('\n');
    env.append("NODE_ID=").append(cluster.getNodeManager(0).getNMContext().getNodeId()).append('\n');
    env.append("EXECUTOR=").append(hostExecutor ? "default" : "linux").append('\n');
    writeAtomically(new File(confDir, "cluster.env"), env.toString());
    writeAtomically(new File(confDir, "ready"), "ready\n");
    System.out.println("KataMiniYarnClusterServer: ready; RM " + live.get("yarn.resourcemanager.address")
        + "; conf " + confDir);
    System.out.flush();

    File stop = new File(confDir, "stop");
    File kill = new File(confDir, "kill");
    while (!stop.exists()) {
      if (kill.exists()) {
        killApplication(live, new String(Files.readAllBytes(kill.toPath()), StandardCharsets.UTF_8).trim(), confDir);
        Files.delete(kill.toPath());
      }
      Thread.sleep(200);
    }
    System.out.println("KataMiniYarnClusterServer: stopping");
    System.exit(0);  // runs the shutdown hook
  }

  private static String env(String key, String fallback) {
    String v = System.getenv(key);
    return v == null || v.isEmpty() ? fallback : v;
  }

  /** What {@code yarn application -kill <id>} does: YarnClient.killApplication, which waits until the RM says killed. */
  private static void killApplication(Configuration live, String appId, File confDir) throws IOException {
    String outcome;
    try (YarnClient client = YarnClient.createYarnClient()) {
      client.init(live);
      client.start();
      client.killApplication(ApplicationId.fromString(appId));
      outcome = "killed " + appId + " state " + client.getApplicationReport(ApplicationId.fromString(appId))
          .getYarnApplicationState();
    } catch (Exception e) {
      outcome = "kill " + appId + " failed: " + e;
    }
    System.out.println("KataMiniYarnClusterServer: " + outcome);
    writeAtomically(new File(confDir, "kill.done"), outcome + "\n");
  }

  private static void writeAtomically(File target, Configuration conf) throws IOException {
    File tmp = new File(target.getPath() + ".tmp");
    try (OutputStream out = new FileOutputStream(tmp)) {
      conf.writeXml(out);
    }
    Files.move(tmp.toPath(), target.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static void writeAtomically(File target, String text) throws IOException {
    File tmp = new File(target.getPath() + ".tmp");
    try (PrintWriter out = new PrintWriter(tmp, StandardCharsets.UTF_8.name())) {
      out.print(text);
    }
    Files.move(tmp.toPath(), target.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The JVM flags Hadoop 3.3 needs on JDK 17 (also KataMiniYarnClusterIT's, compiled with this file). */
  static String jdk17Opts() {
    StringBuilder sb = new StringBuilder("-Djava.net.preferIPv4Stack=true");
    for (String p : new String[] {"java.lang", "java.lang.reflect", "java.lang.invoke", "java.io", "java.net",
        "java.nio", "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "sun.nio.ch", "sun.nio.cs",
        "sun.security.action", "sun.util.calendar"}) {
      sb.append(" --add-opens=java.base/").append(p).append("=ALL-UNNAMED");
    }
    sb.append(" --add-exports=java.base/sun.net.dns=ALL-UNNAMED --add-exports=java.base/sun.net.util=ALL-UNNAMED");
    return sb.toString();
  }
}
