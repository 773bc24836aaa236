<!-- Meta Pixel for {{ shop.name }}, with event ids for the Conversions API (seller portal) -->
<script>
(function (w, d) {
  if (w.fbq) return;
  var q = w.fbq = function () { q.callMethod ? q.callMethod.apply(q, arguments) : q.queue.push(arguments); };
  if (!w._fbq) w._fbq = q;
  q.push = q; q.loaded = true; q.version = "2.0"; q.queue = [];
  var s = d.createElement("script"); s.async = true; s.src = "{{ script_url|escapejs }}";
  var first = d.getElementsByTagName("script")[0]; first.parentNode.insertBefore(s, first);
})(window, document);
// The event id rule: "<event name in lower case>.<key>"; the key is the order id for a
// Purchase, a random id otherwise. Send the same id to the storefront API as event_id.
window.portalEventId = function (eventName, key) {
  key = key === undefined || key === null ? "" : String(key).trim();
  if (!key && String(eventName) === "Purchase") {
    throw new Error("portalEventId: a Purchase needs its order id as the key");
  }
  key = key || (Date.now().toString(36) + Math.random().toString(36).slice(2, 10));
  return String(eventName).toLowerCase() + "." + key;
};
window.portalTrack = function (eventName, data, key) {
  var id = window.portalEventId(eventName, key);
  fbq("track", eventName, data || {}, {eventID: id});
  return id;
};
fbq("init", "{{ pixel_id|escapejs }}");
portalTrack("PageView");
</script>
<noscript><img height="1" width="1" style="display:none" alt="" src="{{ tr_url }}?id={{ pixel_id|urlencode }}&amp;ev=PageView&amp;noscript=1"></noscript>
<!-- Events (content_ids are your catalog's retailer ids):
{% for name, data, key in examples %}  portalTrack("{{ name }}", {{ data|safe }}{% if key %}, {{ key|safe }}{% endif %});
{% endfor %}-->
