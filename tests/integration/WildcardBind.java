// SPDX-License-Identifier: Apache-2.0
// WildcardBind.java - Java's DatagramSocket binds to the wildcard with
// port 0 when it is made, then connect() connects it.
// Usage: java WildcardBind.java HOST PORT (an echo-server.py); prints
// "OK java HOST" or "FAIL ...".
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;

public class WildcardBind {
	public static void main(String[] args) throws Exception {
		try (DatagramSocket d = new DatagramSocket()) {
			d.setSoTimeout(5000);
			d.connect(new InetSocketAddress(args[0], Integer.parseInt(args[1])));
			byte[] ping = "ping".getBytes();
			d.send(new DatagramPacket(ping, ping.length));
			DatagramPacket got = new DatagramPacket(new byte[16], 16);
			d.receive(got);
			System.out.println("OK java " + args[0] + " from "
					   + d.getLocalSocketAddress());
		} catch (Exception e) {
			System.out.println("FAIL " + e);
			System.exit(1);
		}
	}
}
