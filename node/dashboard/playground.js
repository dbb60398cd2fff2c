// Crypto panel: keys, encryption and signatures on this node, each result with its size and the
// node's own time for the request. Post-quantum sizes are measured from the answers; the
// classical counterparts are the sizes their specifications fix.
"use strict";

const Playground = (() => {
  const sizes = {};               // row name -> measured bytes
  let ciphertext = null;          // the last encryption: {key, text}
  let signature = null;           // the last signature: {key, message, context, signature}

  // Classical sizes by specification (RFC 7748, RFC 8032, RSA-2048 with a 2048-bit modulus).
  const ROWS = [
    ["kem_public_key", "encryption public key (ML-KEM-768)", "X25519: 32 · RSA-2048: 256 (modulus)"],
    ["envelope", "encrypted text (KEM ciphertext + AES-256-GCM)", "X25519 ephemeral key 32 + AES-GCM · RSA-2048 OAEP: 256"],
    ["dsa_public_key", "signing public key (ML-DSA)", "Ed25519: 32 · RSA-2048: 256 (modulus)"],
    ["signature", "signature (ML-DSA)", "Ed25519: 64 · RSA-2048: 256"],
  ];

  function renderSizes() {
    $("sizes").replaceChildren(...ROWS.map(([key, what, classical]) =>
      el("tr", { "data-size": key }, el("td", {}, what), el("td", { class: "num" }, sizes[key] ? number(sizes[key]) : "—"), el("td", { class: "muted" }, classical))));
  }

  async function keyInfo(name, type) {
    const found = await api("GET", API.key, { name });
    if (found.status === 200) return found;
    if (found.status !== 404 || !may("keys:admin")) throw new ApiError(found.status, found.data);
    return await apiOk("POST", API.keys, null, { name, type });
  }

  function recordPublicKey(info) {
    const versions = info.versions || [];
    const latest = versions[versions.length - 1];
    if (!latest) return 0;
    const bytes = base64ToBytes(latest.public_key).length;
    sizes[info.type === "ml-kem-768" ? "kem_public_key" : "dsa_public_key"] = bytes;
    renderSizes();
    return bytes;
  }

  async function createKey(e) {
    e.preventDefault();
    const name = $("key-new-name").value.trim(), type = $("key-new-type").value;
    try {
      const res = await api("POST", API.keys, null, { name, type });
      if (res.status !== 201) throw new ApiError(res.status, res.data);
      const bytes = recordPublicKey(res.data);
      showResult($("key-result"), `created ${name} (${type}), public key ${number(bytes)} bytes`, "good", res.serverMs);
      (type === "ml-kem-768" ? $("enc-key") : $("sign-key")).value = name;
    } catch (err) {
      showResult($("key-result"), err.message, "bad");
    }
  }

  function flipOneByte(b64) {
    const bytes = base64ToBytes(b64);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    return bytesToBase64(bytes);
  }

  async function encrypt(e) {
    e.preventDefault();
    const key = $("enc-key").value.trim();
    try {
      recordPublicKey((await keyInfo(key, "ml-kem-768")).data);
      const res = await apiOk("POST", API.encrypt, null, { key, plaintext: base64($("enc-text").value) });
      ciphertext = { key, text: res.data.ciphertext };
      const body = ciphertext.text.slice(ciphertext.text.lastIndexOf(":") + 1);
      sizes.envelope = base64ToBytes(body).length;
      renderSizes();
      showResult($("enc-result"), `encrypted: ${ciphertext.text.slice(0, 40)}… (${number(sizes.envelope)} bytes)`, "good", res.serverMs);
    } catch (err) {
      showResult($("enc-result"), err.message, "bad");
    }
  }

  async function decrypt(tamper) {
    if (!ciphertext) { showResult($("enc-result"), "encrypt something first", "bad"); return; }
    let text = ciphertext.text;
    if (tamper) {
      const cut = text.lastIndexOf(":") + 1;
      text = text.slice(0, cut) + flipOneByte(text.slice(cut));
    }
    const res = await api("POST", API.decrypt, null, { key: ciphertext.key, ciphertext: text });
    if (res.status === 200) {
      const plain = new TextDecoder().decode(base64ToBytes(res.data.plaintext));
      showResult($("enc-result"), `decrypted: ${plain}`, "good decrypted", res.serverMs);
    } else {
      showResult($("enc-result"), (tamper ? "one flipped byte, refused: " : "refused: ") + new ApiError(res.status, res.data).message, "bad refused", res.serverMs);
    }
  }

  async function sign(e) {
    e.preventDefault();
    const key = $("sign-key").value.trim();
    const context = $("sign-context").value;
    try {
      recordPublicKey((await keyInfo(key, "ml-dsa-65")).data);
      const message = base64($("sign-text").value);
      const body = { key, message };
      if (context) body.context = context;
      const res = await apiOk("POST", API.sign, null, body);
      signature = { key, message, context, signature: res.data.signature };
      sizes.signature = base64ToBytes(res.data.signature).length;
      renderSizes();
      showResult($("sign-result"), `signed with ${res.data.algorithm}${context ? ` in context "${context}"` : ""}: ${number(sizes.signature)} bytes`, "good", res.serverMs);
    } catch (err) {
      showResult($("sign-result"), err.message, "bad");
    }
  }

  async function verify(tamper) {
    if (!signature) { showResult($("sign-result"), "sign something first", "bad"); return; }
    const body = { key: signature.key, message: signature.message, signature: tamper ? flipOneByte(signature.signature) : signature.signature };
    // The context the verifier is given now: change it in the field to see a mismatch fail.
    const context = $("sign-context").value;
    if (context) body.context = context;
    const res = await api("POST", API.verify, null, body);
    const valid = res.status === 200 && res.data.valid;
    const what = (tamper ? "one flipped byte: " : "") + (valid ? "signature valid" : "signature INVALID") + (context ? ` (context "${context}")` : " (no context)");
    showResult($("sign-result"), res.status === 200 ? what : new ApiError(res.status, res.data).message, valid ? "good valid" : "bad invalid", res.serverMs);
  }

  return {
    init() {
      renderSizes();
      $("key-form").addEventListener("submit", createKey);
      $("encrypt-form").addEventListener("submit", encrypt);
      $("decrypt").addEventListener("click", () => decrypt(false).catch((err) => showResult($("enc-result"), err.message, "bad")));
      $("tamper-ct").addEventListener("click", () => decrypt(true).catch((err) => showResult($("enc-result"), err.message, "bad")));
      $("sign-form").addEventListener("submit", sign);
      $("verify").addEventListener("click", () => verify(false).catch((err) => showResult($("sign-result"), err.message, "bad")));
      $("tamper-sig").addEventListener("click", () => verify(true).catch((err) => showResult($("sign-result"), err.message, "bad")));
    },
  };
})();
panels.push(Playground);
