package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.model.ModelFormatException;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Interprets the subset of the pickle protocol (versions 2-5) that {@code torch.save} emits for state dicts and
 * speechbrain's statistics dicts. Only data is built: dicts, lists, tuples, strings, numbers, and tensor
 * references through the allow-listed globals. Any other global or opcode is refused, so a crafted file cannot
 * make us construct arbitrary objects the way Python's unpickler would.
 */
final class PickleMachine {

    /** A reference to a module attribute named by GLOBAL / STACK_GLOBAL; only allow-listed ones exist. */
    record Global(String module, String name) {
        String qualifiedName() {
            return module + "." + name;
        }
    }

    /** The persistent id torch writes for a storage: data/<key> in the zip, element type, element count. */
    record StorageRef(TorchTensor.DataType dataType, String key, long elementCount) {
    }

    /** What {@code torch._utils._rebuild_tensor_v2} would build: a strided view into a storage. */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {
    }

    /** A Python tuple (immutable, usable as a dict key). */
    record PyTuple(List<Object> items) {
        PyTuple {
            items = Collections.unmodifiableList(new ArrayList<>(items));
        }
    }

    private static final Global ORDERED_DICT = new Global("collections", "OrderedDict");
    private static final Global REBUILD_TENSOR_V2 = new Global("torch._utils", "_rebuild_tensor_v2");
    private static final Global REBUILD_PARAMETER = new Global("torch._utils", "_rebuild_parameter");
    private static final Map<Global, TorchTensor.DataType> STORAGES = Map.of(
            new Global("torch", "FloatStorage"), TorchTensor.DataType.FLOAT32,
            new Global("torch", "LongStorage"), TorchTensor.DataType.INT64);
    private static final Set<Global> CALLABLES = Set.of(ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_PARAMETER);
    private static final int HIGHEST_PROTOCOL = 5;

    private final byte[] bytes;
    private final String file;
    private final List<Object> stack = new ArrayList<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private int pos;
    private int opcodeAt;

    private PickleMachine(byte[] bytes, String file) {
        this.bytes = bytes;
        this.file = file;
    }

    /**
     * Runs the pickle and returns its value: maps are {@code LinkedHashMap}, lists {@code ArrayList}, tuples
     * {@link PyTuple}, integers {@code Long}, floats {@code Double}, None {@code null}, tensors {@link TensorRef}.
     */
    static Object load(byte[] pickle, String file) throws ModelFormatException {
        try {
            return new PickleMachine(pickle, file).run();
        } catch (IndexOutOfBoundsException | ClassCastException e) {
            throw new ModelFormatException(file + ": malformed pickle (" + e.getMessage() + ")", e);
        }
    }

    private Object run() throws ModelFormatException {
        while (true) {
            opcodeAt = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int protocol = u8();
                    if (protocol > HIGHEST_PROTOCOL) {
                        throw fail("pickle protocol " + protocol + " is newer than " + HIGHEST_PROTOCOL);
                    }
                }
                case 0x95 -> skip(8); // FRAME: only a length hint
                case '.' -> { // STOP
                    Object result = pop();
                    if (!stack.isEmpty() || !marks.isEmpty()) {
                        throw fail("STOP with " + stack.size() + " values left on the stack");
                    }
                    return result;
                }
                case '(' -> marks.push(stack.size()); // MARK
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case ')' -> push(new PyTuple(List.of())); // EMPTY_TUPLE
                case 'X' -> push(utf8(u32())); // BINUNICODE
                case 0x8c -> push(utf8(u8())); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(u64())); // BINUNICODE8
                case 'q' -> memo.put((long) u8(), peek()); // BINPUT
                case 'r' -> memo.put(u32(), peek()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                case 'h' -> push(memoGet(u8())); // BINGET
                case 'j' -> push(memoGet(u32())); // LONG_BINGET
                case 'c' -> push(global(line(), line())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    String name = popAs(String.class, "STACK_GLOBAL name");
                    String module = popAs(String.class, "STACK_GLOBAL module");
                    push(global(module, name));
                }
                case 'Q' -> push(persistentLoad(pop())); // BINPERSID
                case 't' -> push(new PyTuple(popMark())); // TUPLE
                case 0x85 -> push(new PyTuple(popN(1))); // TUPLE1
                case 0x86 -> push(new PyTuple(popN(2))); // TUPLE2
                case 0x87 -> push(new PyTuple(popN(3))); // TUPLE3
                case 'J' -> push((long) (int) le(4)); // BININT
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push(le(2)); // BININT2
                case 0x8a -> push(long1()); // LONG1
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 'N' -> push(null); // NONE
                case 'G' -> push(Double.longBitsToDouble(be(8))); // BINFLOAT
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object callable = pop();
                    push(reduce(callable, args));
                }
                case 'b' -> build(peek(), pop2nd()); // BUILD
                case 's' -> { // SETITEM
                    Object value = pop();
                    Object key = pop();
                    dictOnTop().put(key, value);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    if (items.size() % 2 != 0) {
                        throw fail("SETITEMS with an odd number of values");
                    }
                    Map<Object, Object> dict = dictOnTop();
                    for (int i = 0; i < items.size(); i += 2) {
                        dict.put(items.get(i), items.get(i + 1));
                    }
                }
                case 'a' -> { // APPEND
                    Object value = pop();
                    listOnTop().add(value);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark();
                    listOnTop().addAll(items);
                }
                default -> throw fail(String.format("unsupported pickle opcode 0x%02x", op));
            }
        }
    }

    private Object global(String module, String name) throws ModelFormatException {
        Global g = new Global(module, name);
        if (!CALLABLES.contains(g) && !STORAGES.containsKey(g)) {
            throw fail("refusing global " + g.qualifiedName()
                    + " (only OrderedDict, tensor rebuilding and FloatStorage/LongStorage are allowed)");
        }
        return g;
    }

    private Object persistentLoad(Object pid) throws ModelFormatException {
        if (!(pid instanceof PyTuple tuple) || tuple.items().size() != 5 || !"storage".equals(tuple.items().get(0))) {
            throw fail("unexpected persistent id " + pid);
        }
        List<Object> items = tuple.items();
        TorchTensor.DataType type = STORAGES.get(items.get(1));
        if (type == null) {
            throw fail("persistent id names " + items.get(1) + ", not a storage type");
        }
        if (!(items.get(2) instanceof String key) || !(items.get(4) instanceof Long count) || count < 0) {
            throw fail("malformed storage id " + pid);
        }
        return new StorageRef(type, key, count);
    }

    private Object reduce(Object callable, Object args) throws ModelFormatException {
        if (!(args instanceof PyTuple tuple)) {
            throw fail("REDUCE arguments are not a tuple");
        }
        List<Object> a = tuple.items();
        if (ORDERED_DICT.equals(callable)) {
            if (!a.isEmpty()) {
                throw fail("OrderedDict with constructor arguments");
            }
            return new LinkedHashMap<>();
        }
        if (REBUILD_TENSOR_V2.equals(callable)) {
            if (a.size() < 6 || a.size() > 7 || !(a.get(0) instanceof StorageRef storage)
                    || !(a.get(1) instanceof Long offset) || !(a.get(2) instanceof PyTuple size)
                    || !(a.get(3) instanceof PyTuple stride) || size.items().size() != stride.items().size()) {
                throw fail("unexpected _rebuild_tensor_v2 arguments");
            }
            return new TensorRef(storage, offset, longs(size), longs(stride));
        }
        if (REBUILD_PARAMETER.equals(callable)) {
            if (a.isEmpty() || !(a.get(0) instanceof TensorRef tensor)) {
                throw fail("unexpected _rebuild_parameter arguments");
            }
            return tensor;
        }
        throw fail("refusing to call " + describe(callable));
    }

    /** BUILD on a dict only sets attributes (torch stores the state dict's _metadata this way); they are dropped. */
    private void build(Object target, Object state) throws ModelFormatException {
        boolean stateIsAttributes = state instanceof Map<?, ?>
                || state instanceof PyTuple t && t.items().size() == 2
                && (t.items().get(0) == null || t.items().get(0) instanceof Map<?, ?>)
                && (t.items().get(1) == null || t.items().get(1) instanceof Map<?, ?>);
        if (!(target instanceof Map<?, ?>) || !stateIsAttributes) {
            throw fail("BUILD on " + describe(target) + " is not supported");
        }
    }

    private long[] longs(PyTuple tuple) throws ModelFormatException {
        long[] out = new long[tuple.items().size()];
        for (int i = 0; i < out.length; i++) {
            if (!(tuple.items().get(i) instanceof Long v) || v < 0) {
                throw fail("tensor size/stride entries must be non-negative integers: " + tuple.items());
            }
            out[i] = v;
        }
        return out;
    }

    private Long long1() throws ModelFormatException {
        int n = u8();
        if (n == 0) {
            return 0L;
        }
        byte[] bigEndian = new byte[n];
        for (int i = 0; i < n; i++) {
            bigEndian[n - 1 - i] = bytes[pos + i];
        }
        pos += n;
        BigInteger value = new BigInteger(bigEndian);
        if (value.bitLength() > 63) {
            throw fail("integer " + value + " does not fit in 64 bits");
        }
        return value.longValue();
    }

    private void push(Object value) {
        stack.add(value);
    }

    private Object pop() throws ModelFormatException {
        if (stack.isEmpty() || !marks.isEmpty() && marks.peek() == stack.size()) {
            throw fail("stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    /** Pops the top value when the second one is needed on the stack (BUILD's state sits above its target). */
    private Object pop2nd() throws ModelFormatException {
        Object state = pop();
        if (stack.isEmpty()) {
            throw fail("stack underflow");
        }
        return state;
    }

    private <T> T popAs(Class<T> type, String what) throws ModelFormatException {
        Object value = pop();
        if (!type.isInstance(value)) {
            throw fail(what + " is " + describe(value));
        }
        return type.cast(value);
    }

    private Object peek() throws ModelFormatException {
        if (stack.isEmpty()) {
            throw fail("stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popN(int n) throws ModelFormatException {
        int floor = marks.isEmpty() ? 0 : marks.peek();
        if (stack.size() - n < floor) {
            throw fail("stack underflow");
        }
        List<Object> top = stack.subList(stack.size() - n, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    private List<Object> popMark() throws ModelFormatException {
        if (marks.isEmpty()) {
            throw fail("no MARK on the stack");
        }
        int start = marks.pop();
        List<Object> top = stack.subList(start, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop() throws ModelFormatException {
        Object top = peek();
        if (!(top instanceof Map<?, ?>)) {
            throw fail("SETITEM(S) on " + describe(top));
        }
        return (Map<Object, Object>) top;
    }

    @SuppressWarnings("unchecked")
    private List<Object> listOnTop() throws ModelFormatException {
        Object top = peek();
        if (!(top instanceof ArrayList<?>)) {
            throw fail("APPEND(S) on " + describe(top));
        }
        return (List<Object>) top;
    }

    private Object memoGet(long index) throws ModelFormatException {
        if (!memo.containsKey(index)) {
            throw fail("memo entry " + index + " was never stored");
        }
        return memo.get(index);
    }

    private int u8() {
        return bytes[pos++] & 0xff;
    }

    private long u32() {
        return le(4) & 0xffffffffL;
    }

    private long u64() throws ModelFormatException {
        long v = le(8);
        if (v < 0) {
            throw fail("length " + Long.toUnsignedString(v) + " out of range");
        }
        return v;
    }

    private long le(int n) {
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (long) (bytes[pos + i] & 0xff) << (8 * i);
        }
        pos += n;
        return v;
    }

    private long be(int n) {
        long v = 0;
        for (int i = 0; i < n; i++) {
            v = v << 8 | (bytes[pos + i] & 0xff);
        }
        pos += n;
        return v;
    }

    private void skip(int n) {
        if (pos + n > bytes.length) {
            throw new IndexOutOfBoundsException("read past the end at byte " + pos);
        }
        pos += n;
    }

    private String utf8(long length) throws ModelFormatException {
        if (length > bytes.length - pos) {
            throw fail("string of " + length + " bytes runs past the end of the pickle");
        }
        String s = new String(bytes, pos, (int) length, StandardCharsets.UTF_8);
        pos += (int) length;
        return s;
    }

    private String line() throws ModelFormatException {
        int start = pos;
        while (pos < bytes.length && bytes[pos] != '\n') {
            pos++;
        }
        if (pos >= bytes.length) {
            throw fail("unterminated GLOBAL");
        }
        return new String(bytes, start, pos++ - start, StandardCharsets.UTF_8);
    }

    private static String describe(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof Global g) {
            return g.qualifiedName();
        }
        return value.getClass().getSimpleName();
    }

    private ModelFormatException fail(String message) {
        return new ModelFormatException(file + ": " + message + " (pickle byte " + opcodeAt + ")");
    }
}
