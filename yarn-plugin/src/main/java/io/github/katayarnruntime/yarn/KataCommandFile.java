package io.github.katayarnruntime.yarn;

import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.APPID;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.APPLICATION_LOCAL_DIRS;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.CONTAINER_ID_STR;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.CONTAINER_LOG_DIRS;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.CONTAINER_WORK_DIR;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.FILECACHE_DIRS;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.LOCAL_DIRS;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.LOG_DIRS;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.NM_PRIVATE_CONTAINER_SCRIPT_PATH;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.NM_PRIVATE_KEYSTORE_PATH;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.NM_PRIVATE_TOKENS_PATH;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.NM_PRIVATE_TRUSTSTORE_PATH;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.PID_FILE_PATH;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.RUN_AS_USER;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.USER;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.USER_FILECACHE_DIRS;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.runtime.ContainerExecutionException;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.runtime.ContainerRuntimeContext;

/**
 * Builds {@code kata-config.json}: the keys of Hadoop's runc command file (RuncContainerExecutorConfig, written with
 * Jackson's NON_DEFAULT inclusion, so {@code https} and absent optional paths are omitted) plus a top-level
 * {@code "kata"} object with the container's runtime, vcores, memory and image.
 */
public final class KataCommandFile {
  public static final String FILE_NAME = "kata-config.json";
  public static final String ENV_KATA_RUNTIME = "YARN_CONTAINER_RUNTIME_KATA_RUNTIME";
  public static final String ENV_KATA_IMAGE = "YARN_CONTAINER_RUNTIME_KATA_IMAGE";
  /** Hadoop's runc key for how many layer mounts to keep; carried along so the file parses like a runc one. */
  static final String CONF_LAYER_MOUNTS_TO_KEEP = "yarn.nodemanager.runtime.linux.runc.layer-mounts-to-keep";
  static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /** The runtime names the binary accepts: runc, runsc, kata, or shim:NAME with NAME a plain shim file name. */
  private static final Pattern RUNTIME_NAME = Pattern.compile("runc|runsc|kata|shim:[A-Za-z0-9_.-]{1,64}");

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private KataCommandFile() {
  }

  /** The whole command file for a launch or relaunch context. */
  public static ObjectNode build(ContainerRuntimeContext ctx, Configuration conf) throws ContainerExecutionException {
    ObjectNode root = JSON.objectNode();
    root.put("version", "0.1");
    root.put("runAsUser", required(ctx.getExecutionAttribute(RUN_AS_USER), "run-as user"));
    root.put("username", required(ctx.getExecutionAttribute(USER), "user"));
    root.put("containerId", required(ctx.getExecutionAttribute(CONTAINER_ID_STR), "container id"));
    root.put("applicationId", required(ctx.getExecutionAttribute(APPID), "application id"));
    root.put("pidFile", path(ctx.getExecutionAttribute(PID_FILE_PATH), "pid file"));
    root.put("containerScriptPath", path(ctx.getExecutionAttribute(NM_PRIVATE_CONTAINER_SCRIPT_PATH), "script"));
    root.put("containerCredentialsPath", path(ctx.getExecutionAttribute(NM_PRIVATE_TOKENS_PATH), "tokens"));
    Path keystore = ctx.getExecutionAttribute(NM_PRIVATE_KEYSTORE_PATH);
    Path truststore = ctx.getExecutionAttribute(NM_PRIVATE_TRUSTSTORE_PATH);
    if (keystore != null && truststore != null) {
      root.put("https", 1);
      root.put("keystorePath", path(keystore, "keystore"));
      root.put("truststorePath", path(truststore, "truststore"));
    }
    root.set("localDirs", strings(nonEmpty(ctx.getExecutionAttribute(LOCAL_DIRS), "local dirs")));
    root.set("logDirs", strings(nonEmpty(ctx.getExecutionAttribute(LOG_DIRS), "log dirs")));
    root.set("layers", JSON.arrayNode());
    root.put("reapLayerKeepCount", conf == null ? 100 : conf.getInt(CONF_LAYER_MOUNTS_TO_KEEP, 100));

    Container container = ctx.getContainer();
    Resource resource = container == null ? null : container.getResource();
    String workDir = path(ctx.getExecutionAttribute(CONTAINER_WORK_DIR), "work dir");
    ObjectNode oci = root.putObject("ociRuntimeConfig");
    oci.set("mounts", mounts(ctx, workDir));
    ObjectNode process = oci.putObject("process");
    process.put("cwd", workDir);
    process.set("env", strings(Collections.singletonList(DEFAULT_PATH)));
    process.set("args", JSON.arrayNode().add("bash").add(new File(workDir, "launch_container.sh").getPath()));
    int vcores = resource == null ? 0 : resource.getVirtualCores();
    // Same rule as Hadoop's runc runtime: 0 would mean "kernel default", 2 is the smallest real share.
    oci.putObject("linux").putObject("resources").putObject("cpu").put("shares", Math.max(2, vcores));

    root.set("kata", kata(container, resource));
    return root;
  }

  /** The {@code "kata"} object: only the members that are known are written. */
  static ObjectNode kata(Container container, Resource resource) throws ContainerExecutionException {
    ObjectNode kata = JSON.objectNode();
    Map<String, String> env = environment(container);
    String runtime = trimmed(env.get(ENV_KATA_RUNTIME));
    if (runtime != null) {
      if (!RUNTIME_NAME.matcher(runtime).matches() || runtime.equals("shim:.") || runtime.equals("shim:..")) {
        throw new ContainerExecutionException(ENV_KATA_RUNTIME + " must be runc, runsc, kata or shim:NAME, not '"
            + runtime + "'");
      }
      kata.put("runtime", runtime);
    }
    if (resource != null && resource.getVirtualCores() > 0) {
      kata.put("vcores", resource.getVirtualCores());
    }
    if (resource != null && resource.getMemorySize() > 0) {
      kata.put("memoryMB", resource.getMemorySize());
    }
    String image = trimmed(env.get(ENV_KATA_IMAGE));
    if (image != null) {
      if (!image.startsWith("/") || ("/" + image + "/").contains("/../")) {
        throw new ContainerExecutionException(ENV_KATA_IMAGE + " must be an absolute path without '..', not '"
            + image + "'");
      }
      kata.put("image", image);
    }
    return kata;
  }

  /** Writes the file atomically (temporary sibling, mode 0600, then rename), replacing an older one on relaunch. */
  public static void write(File target, ObjectNode document) throws IOException {
    byte[] bytes = new ObjectMapper().writeValueAsBytes(document);
    File tmp = new File(target.getPath() + ".tmp");
    Files.deleteIfExists(tmp.toPath());
    Files.createFile(tmp.toPath(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (OutputStream out = Files.newOutputStream(tmp.toPath())) {
      out.write(bytes);
    }
    Files.move(tmp.toPath(), target.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The bind mounts Hadoop's runc runtime sends, in the same order (private tmp dirs, logs, app dirs, caches). */
  private static ArrayNode mounts(ContainerRuntimeContext ctx, String workDir) {
    ArrayNode mounts = JSON.arrayNode();
    mount(mounts, new File(workDir, "private_slash_tmp").getPath(), "/tmp", "rw");
    mount(mounts, new File(workDir, "private_var_slash_tmp").getPath(), "/var/tmp", "rw");
    for (String dir : stringList(ctx.getExecutionAttribute(CONTAINER_LOG_DIRS))) {
      mount(mounts, dir, dir, "rw");
    }
    for (String dir : stringList(ctx.getExecutionAttribute(APPLICATION_LOCAL_DIRS))) {
      mount(mounts, dir, dir, "rw");
    }
    for (String dir : stringList(ctx.getExecutionAttribute(FILECACHE_DIRS))) {
      if (new File(dir).exists()) {
        mount(mounts, dir, dir, "ro");
      }
    }
    for (String dir : stringList(ctx.getExecutionAttribute(USER_FILECACHE_DIRS))) {
      if (new File(dir).exists()) {
        mount(mounts, dir, dir, "ro");
      }
    }
    return mounts;
  }

  private static void mount(ArrayNode mounts, String source, String destination, String mode) {
    ObjectNode m = mounts.addObject();
    m.put("destination", destination);
    m.put("type", "bind");
    m.put("source", source);
    m.set("options", JSON.arrayNode().add(mode).add("rbind").add("rprivate"));
  }

  private static Map<String, String> environment(Container container) {
    ContainerLaunchContext launch = container == null ? null : container.getLaunchContext();
    Map<String, String> env = launch == null ? null : launch.getEnvironment();
    return env == null ? Collections.<String, String>emptyMap() : env;
  }

  private static String trimmed(String value) {
    return value == null || value.trim().isEmpty() ? null : value.trim();
  }

  private static ArrayNode strings(List<String> values) {
    ArrayNode array = JSON.arrayNode();
    for (String v : values) {
      array.add(v);
    }
    return array;
  }

  /** The runtime constants declare raw {@code List}s; their elements are strings (paths). */
  static List<String> stringList(List<?> raw) {
    List<String> values = new ArrayList<String>();
    if (raw != null) {
      for (Object o : raw) {
        values.add(String.valueOf(o));
      }
    }
    return values;
  }

  private static List<String> nonEmpty(List<?> raw, String what) throws ContainerExecutionException {
    List<String> values = stringList(raw);
    if (values.isEmpty()) {
      throw new ContainerExecutionException("kata: the launch context has no " + what);
    }
    return values;
  }

  private static String required(String value, String what) throws ContainerExecutionException {
    if (value == null || value.isEmpty()) {
      throw new ContainerExecutionException("kata: the launch context has no " + what);
    }
    return value;
  }

  private static String path(Path value, String what) throws ContainerExecutionException {
    if (value == null) {
      throw new ContainerExecutionException("kata: the launch context has no " + what + " path");
    }
    return value.toUri().getPath();
  }
}
