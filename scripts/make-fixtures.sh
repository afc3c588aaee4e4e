#!/usr/bin/env bash
# Generates the synthetic meeting's media (src/demo-meeting) with ffmpeg and espeak-ng only.
# Idempotent: does nothing when the version stamp in the output directory matches RECIPE below.
#
# Output, in ${SCRIBA_FIXTURES_DIR:-<repo>/.cache/fixtures}:
#   sentences.json       participants 1..6: display name, espeak-ng voice, 2 sentences, their times in the cycle
#   voice-N.wav          16 kHz mono s16: participant N's two sentences (0.5 s apart), nothing else
#   participant-N.webm   CYCLE s loop, VP8 640x360@30 + Opus 48 kHz mono; speech only inside the participant's
#                        slot ((N-1) mod 3) * SLOT s, so clips started together never talk over each other
#   sync.webm            CYCLE s, VP8 320x180@30: white for frames 0-2 of every second (0-100 ms), black
#                        otherwise; Opus 48 kHz: 1 kHz sine during exactly 0-100 ms of every second. The first
#                        pulse of each cycle lasts 300 ms in picture and sound: a marker that makes an A/V
#                        offset of more than half a second measurable (a 1 s period alone is ambiguous)
#   camera-N.webm        camera-like variant of participant-N.webm (same audio, same CYCLE): a head-and-shoulders
#                        subject swaying and bobbing in front of a textured background that pans slowly (camera
#                        shake), with per-frame sensor noise; VP8 at the rates Jitsi sends, 1280x720 at 1.5 Mbit/s
#                        for participant 1 (the on-stage camera) and 640x360 at 600 kbit/s for the others, CBR
#                        realtime as a browser encodes. Its own stamp (.stamp-camera): changing it does not
#                        regenerate the rest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${SCRIBA_FIXTURES_DIR:-$root/.cache/fixtures}"

# Bump when anything below changes the generated files.
RECIPE="scriba-fixtures-v3"
CYCLE=18        # seconds; every clip is exactly this long (must stay in step with src/demo-meeting/fixtures.ts)
SLOT=6          # seconds per speaking slot; CYCLE / SLOT = 3 slots
LEAD=0.3        # seconds of silence at the start of a slot before the first sentence
GAP=0.5         # seconds of silence between a participant's two sentences
RATE=160        # espeak-ng words per minute
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

names=("Alice Archer" "Bruno Baptiste" "Chen Cho" "Dalia Dorsey" "Emeka Eze" "Freya Fontaine")
voices=("en-us+f3" "en+m3" "en-gb+m7" "en-us+f4" "en-us+m1" "en-gb+f2")
colors=("0x1f4e79" "0x7a2e2e" "0x2e6b3a" "0x5b3f8a" "0x80621a" "0x1f6b6b")
sentences=(
  "The weather is nice today." "Please send me the report."
  "We should meet again next week." "The train leaves at nine."
  "I will call you after lunch." "The blue car is parked outside."
  "Our team finished the project early." "Thank you for your help."
  "The coffee in this room is cold." "Let us start the meeting now."
  "My sister lives near the river." "We need more paper for the printer."
)
files=(sentences.json sync.webm)
for n in 1 2 3 4 5 6; do files+=("voice-$n.wav" "participant-$n.webm"); done
# Bump when the camera-like clips' recipe changes.
CAMERA_RECIPE="scriba-camera-v2"
camera_files=()
for n in 1 2 3 4 5 6; do camera_files+=("camera-$n.webm"); done

log() { printf '[fixtures] %s\n' "$*" >&2; }
is_current() {
  [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$RECIPE" ] || return 1
  local f
  for f in "${files[@]}"; do [ -s "$out/$f" ] || return 1; done
}
camera_current() {
  [ -f "$out/.stamp-camera" ] && [ "$(cat "$out/.stamp-camera")" = "$CAMERA_RECIPE" ] || return 1
  local f
  for f in "${camera_files[@]}"; do [ -s "$out/$f" ] || return 1; done
}

is_current && camera_current && exit 0
for tool in ffmpeg ffprobe espeak-ng; do
  command -v "$tool" >/dev/null || { log "missing $tool (scripts/setup.sh installs it)"; exit 1; }
done
[ -f "$FONT" ] || { log "missing $FONT (Debian package fonts-dejavu-core)"; exit 1; }

mkdir -p "$out"
# One generator at a time (setup.sh and a test may both call us); re-check once we hold the lock.
exec 9>"$out/.lock"
if command -v flock >/dev/null; then flock 9; fi
is_current && camera_current && exit 0

start=$SECONDS
work="$(mktemp -d "$out/.build.XXXXXX")"
# On failure, stop our own background encoders (by pid) before removing their directory.
trap 'jobs -p | xargs -r kill 2>/dev/null; rm -rf "$work"' EXIT
log "generating into $out"

ff() { ffmpeg -hide_banner -nostdin -loglevel error -y "$@"; }
# Two encoders at a time (2 cores).
pids=()
run_bg() {
  "$@" &
  pids+=("$!")
  if [ "${#pids[@]}" -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
}

if ! is_current; then

dur() { ffprobe -v error -show_entries format=duration -of csv=p=0 "$1"; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

# 1. Speech: each sentence separately (to know its exact length), then the participant's timeline.
declare -A t_start t_end
for n in 1 2 3 4 5 6; do
  slot_off=$(( ((n - 1) % 3) * SLOT ))
  t=$(calc "$slot_off + $LEAD")
  for k in 1 2; do
    text="${sentences[$(( (n - 1) * 2 + k - 1 ))]}"
    espeak-ng -v "${voices[$((n - 1))]}" -s "$RATE" -w "$work/s$n-$k.wav" "$text"
    d=$(dur "$work/s$n-$k.wav")
    t_start[$n-$k]=$t
    t_end[$n-$k]=$(calc "$t + $d")
    t=$(calc "$t + $d + $GAP")
  done
  if awk "BEGIN { exit !(${t_end[$n-2]} > $slot_off + $SLOT - 0.3) }"; then
    log "participant $n speaks until ${t_end[$n-2]} s, past its slot ($slot_off + $SLOT s): shorten the sentences"
    exit 1
  fi
  # The two sentences with GAP between them, at 48 kHz (clip) and 16 kHz (voice-N.wav).
  ff -i "$work/s$n-1.wav" -i "$work/s$n-2.wav" -filter_complex \
    "[0:a]aresample=48000,apad=pad_dur=$GAP[a];[1:a]aresample=48000[b];[a][b]concat=n=2:v=0:a=1,aformat=sample_fmts=s16:channel_layouts=mono[o]" \
    -map '[o]' -c:a pcm_s16le "$work/speech-$n.wav"
  ff -i "$work/speech-$n.wav" -ac 1 -ar 16000 -c:a pcm_s16le "$work/voice-$n.wav"
done

# 2. Participant clips: coloured background, a white square moving on a CYCLE-periodic path (so the loop
#    point is seamless), the name, a clock, and a "speaking" marker while the participant talks.
encode_participant() {
  local n=$1 i=$(( $1 - 1 ))
  local delay_ms speaking
  delay_ms=$(awk "BEGIN { printf \"%d\", ${t_start[$n-1]} * 1000 }")
  speaking="between(t,${t_start[$n-1]},${t_end[$n-1]})+between(t,${t_start[$n-2]},${t_end[$n-2]})"
  ff -f lavfi -i "color=c=${colors[$i]}:s=640x360:r=30:d=$CYCLE" \
     -f lavfi -i "color=c=white:s=64x64:r=30:d=$CYCLE" \
     -i "$work/speech-$n.wav" \
     -filter_complex "\
[0:v][1:v]overlay=x='(W-w)*(0.5+0.5*sin(2*PI*t/6+$i))':y='(H-h)*(0.5+0.5*cos(2*PI*t/9))':eval=frame:shortest=1,\
drawtext=fontfile=$FONT:text='${names[$i]}':fontsize=40:fontcolor=white:x=(w-tw)/2:y=(h-th)/2:box=1:boxcolor=black@0.4:boxborderw=10,\
drawtext=fontfile=$FONT:text='%{pts\:hms}':fontsize=20:fontcolor=white:x=10:y=10,\
drawtext=fontfile=$FONT:text='speaking':fontsize=24:fontcolor=yellow:x=w-tw-10:y=10:enable='$speaking'[v];\
[2:a]adelay=$delay_ms:all=1,apad,atrim=end=$CYCLE[a]" \
     -map '[v]' -map '[a]' -t "$CYCLE" \
     -c:v libvpx -deadline realtime -cpu-used 4 -b:v 400k -maxrate 500k -bufsize 800k -g 60 -auto-alt-ref 0 \
     -c:a libopus -b:a 48k -ac 1 -ar 48000 \
     "$work/participant-$n.webm"
}

# 3. Sync clip: flash and beep come from the same frame/sample arithmetic, so they are aligned in the file.
#    Every flash frame is a key frame (no smearing from inter prediction); generous bitrate for trivial content.
#    Opus at 128k keeps the codec's pre/post-echo around the hard-gated beep small (about -40 dB, within 20 ms).
encode_sync() {
  ff -f lavfi -i "color=c=black:s=320x180:r=30:d=$CYCLE" \
     -f lavfi -i "aevalsrc='if(lt(mod(t,1),0.1)+lt(t,0.3),0.5*sin(2*PI*1000*t),0)':s=48000:c=mono:d=$CYCLE" \
     -filter_complex "[0:v]drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(mod(n,30),3)+lt(n,9)'[v]" \
     -map '[v]' -map 1:a -t "$CYCLE" \
     -c:v libvpx -deadline good -cpu-used 4 -b:v 300k -crf 4 -qmin 0 -qmax 16 -auto-alt-ref 0 \
     -force_key_frames 'expr:eq(mod(n,30),0)' -g 30 \
     -c:a libopus -b:a 128k -ac 1 -ar 48000 \
     "$work/sync.webm"
}

for n in 1 2 3 4 5 6; do run_bg encode_participant "$n"; done
run_bg encode_sync
for p in "${pids[@]}"; do wait "$p"; done

# 4. The manifest.
{
  printf '{\n  "recipe": "%s",\n  "cycleSeconds": %s,\n  "slotSeconds": %s,\n  "voiceSampleRate": 16000,\n' "$RECIPE" "$CYCLE" "$SLOT"
  printf '  "sync": { "file": "sync.webm", "width": 320, "height": 180, "fps": 30, "flashFrames": 3, "pulseSeconds": 0.1, "periodSeconds": 1, "beepHz": 1000, "markerSeconds": 0.3 },\n'
  printf '  "participants": [\n'
  for n in 1 2 3 4 5 6; do
    i=$(( n - 1 ))
    printf '    { "index": %d, "displayName": "%s", "voice": "%s", "voiceFile": "voice-%d.wav", "clipFile": "participant-%d.webm",\n' \
      "$n" "${names[$i]}" "${voices[$i]}" "$n" "$n"
    printf '      "slotOffsetSeconds": %d, "speechStartSeconds": %s, "speechEndSeconds": %s,\n' \
      $(( (i % 3) * SLOT )) "${t_start[$n-1]}" "${t_end[$n-2]}"
    printf '      "sentences": ["%s", "%s"],\n' "${sentences[$(( i * 2 ))]}" "${sentences[$(( i * 2 + 1 ))]}"
    printf '      "sentenceTimes": [{ "startSeconds": %s, "endSeconds": %s }, { "startSeconds": %s, "endSeconds": %s }] }%s\n' \
      "${t_start[$n-1]}" "${t_end[$n-1]}" "${t_start[$n-2]}" "${t_end[$n-2]}" "$([ "$n" -lt 6 ] && echo ,)"
  done
  printf '  ]\n}\n'
} > "$work/sentences.json"

for f in "${files[@]}"; do mv -f "$work/$f" "$out/$f"; done
printf '%s' "$RECIPE" > "$out/.stamp"
fi

# 5. Camera-like clips, from the finished participant clips' audio. The subject (a head and shoulders, drawn
#    once as a sprite) and the background (blurred noise, drawn once) move on CYCLE-periodic paths; the
#    temporal noise is new in every frame, as a sensor's is, so no two frames are alike. No text: the page labels
#    the tile. format=yuv420p: the overlay's output keeps the sprite's alpha, which libvpx would encode as a
#    second (alpha) stream the browser decodes too.
encode_camera() {
  local n=$1 i=$(( $1 - 1 )) w=640 h=360 rate=600k
  if [ "$n" -eq 1 ]; then w=1280; h=720; rate=1500k; fi
  local s=$(( h / 360 )) # 1 or 2: the scale of the sprite, the background and the motion
  local shirt=${colors[$i]}
  ff -f lavfi -i "color=c=0x7a7068:s=$(( w + 80 * s ))x$(( h + 60 * s )):d=1,noise=alls=90:allf=u,gblur=sigma=$(( 7 * s )),eq=contrast=1.6:saturation=1.4" \
     -frames:v 1 "$work/bg-$n.png"
  # Sprite: a shaded oval head over rounded shoulders in the participant's colour, transparent elsewhere.
  local head="pow((X-W/2)/(0.22*W),2)+pow((Y-0.36*H)/(0.22*H),2)"
  local body="pow((X-W/2)/(0.49*W),2)+pow((Y-H)/(0.4*H),2)"
  ff -f lavfi -i "color=c=$shirt:s=$(( 240 * s ))x$(( 300 * s )):d=1,format=rgba,geq=\
r='if(lte($head,1),225-60*($head),if(lte($body,1),r(X,Y)*(0.6+0.4*(1-$body)),0))':\
g='if(lte($head,1),175-50*($head),if(lte($body,1),g(X,Y)*(0.6+0.4*(1-$body)),0))':\
b='if(lte($head,1),140-40*($head),if(lte($body,1),b(X,Y)*(0.6+0.4*(1-$body)),0))':\
a='if(lte($head,1)+lte($body,1),255,0)'" -frames:v 1 "$work/subject-$n.png"
  ff -loop 1 -framerate 30 -i "$work/bg-$n.png" -loop 1 -framerate 30 -i "$work/subject-$n.png" -i "$out/participant-$n.webm" \
     -filter_complex "\
[0:v]crop=$w:$h:x='$(( 40 * s ))+$(( 30 * s ))*sin(2*PI*t/$CYCLE)':y='$(( 30 * s ))+$(( 20 * s ))*sin(2*PI*t/($CYCLE/2))'[bg];\
[1:v]rotate=a='0.05*sin(2*PI*t/($CYCLE/3)+$i)':c=none:ow=rotw(0.06):oh=roth(0.06)[fg];\
[bg][fg]overlay=x='(W-w)/2+$(( 70 * s ))*sin(2*PI*t/($CYCLE/3)+$i)':y='H-h+$(( 12 * s ))+$(( 8 * s ))*sin(2*PI*t/($CYCLE/6))':eval=frame:shortest=1,\
noise=alls=12:allf=t,format=yuv420p[v]" \
     -map '[v]' -map 2:a -t "$CYCLE" \
     -c:v libvpx -deadline realtime -cpu-used 8 -b:v "$rate" -minrate "$rate" -maxrate "$rate" -bufsize "$rate" \
     -qmin 4 -qmax 63 -g 60 -auto-alt-ref 0 -c:a copy \
     "$work/camera-$n.webm"
}
if ! camera_current; then
  pids=()
  for n in 1 2 3 4 5 6; do run_bg encode_camera "$n"; done
  for p in "${pids[@]}"; do wait "$p"; done
  for f in "${camera_files[@]}"; do mv -f "$work/$f" "$out/$f"; done
  printf '%s' "$CAMERA_RECIPE" > "$out/.stamp-camera"
fi
log "done in $(( SECONDS - start )) s"
